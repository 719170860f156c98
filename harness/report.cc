#include "harness/report.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "harness/machine.h"
#include "rsr/error.h"

namespace rsr::harness {
namespace {

std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace

const std::vector<std::string>& RecordColumns() {
  static const std::vector<std::string> kColumns = {
      "kernel",         "target",          "m",       "k",
      "tokens",         "threads",         "block_k", "activations",
      "median_ms",      "min_ms",          "max_ms",  "reps",
      "prepared_bytes", "bits_per_weight", "gbps",    "speedup_vs_dense_f32",
      "block_height",   "gmacs",           "compute_roof_fraction",
      "bandwidth_fraction", "cycles_per_kweight"};
  return kColumns;
}

std::string ToCsv(const std::vector<nlohmann::json>& records) {
  std::ostringstream out;
  const auto& cols = RecordColumns();
  for (size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  for (const auto& r : records) {
    for (size_t i = 0; i < cols.size(); ++i)
      out << (i ? "," : "") << (r.contains(cols[i]) ? Cell(r[cols[i]]) : "");
    out << "\n";
  }
  return out.str();
}

std::string ToTable(const std::vector<nlohmann::json>& records) {
  const auto& cols = RecordColumns();
  std::vector<std::vector<std::string>> rows;
  rows.push_back(cols);
  for (const auto& r : records) {
    std::vector<std::string> row;
    for (const auto& c : cols) row.push_back(r.contains(c) ? Cell(r[c]) : "");
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(cols.size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  std::ostringstream out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i] << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
  return out.str();
}

nlohmann::json ToDocument(const std::vector<nlohmann::json>& records) {
  return {{"context", ToJson(GetMachineInfo())}, {"results", records}};
}

nlohmann::json ReadJsonFile(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error(what, "cannot read " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what, path + " is not valid JSON: " + e.what());
  }
}

void WriteText(const std::string& path, const std::string& text) {
  if (path == "-" || path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::ofstream f(path);
  if (!f) throw Error("out", "cannot open '" + path + "' for writing");
  f << text;
  if (!f) throw Error("out", "write to '" + path + "' failed");
}

}  // namespace rsr::harness
