// Result records (one JSON object per measurement) and their CSV / table
// renderings. Every file written carries the machine context.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rsr::harness {

// Columns shown in CSV and tables, in order.
const std::vector<std::string>& RecordColumns();
std::string ToCsv(const std::vector<nlohmann::json>& records);
std::string ToTable(const std::vector<nlohmann::json>& records);
// {"context": machine, "results": records}
nlohmann::json ToDocument(const std::vector<nlohmann::json>& records);
// Parses the JSON file at path; throws rsr::Error(`what`) when it cannot be
// read or is not JSON.
nlohmann::json ReadJsonFile(const std::string& path, const std::string& what);
// Writes text to path ("-" = stdout); throws rsr::Error("out") on failure.
void WriteText(const std::string& path, const std::string& text);

}  // namespace rsr::harness
