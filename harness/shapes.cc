#include "harness/shapes.h"

#include <map>
#include <sstream>

#include "rsr/error.h"

namespace rsr::harness {
namespace {

const std::map<std::string, std::vector<Shape>>& Sets() {
  static const std::map<std::string, std::vector<Shape>> kSets = {
      {"square",
       {{1024, 1024}, {2048, 2048}, {4096, 4096}, {8192, 8192},
        {16384, 16384}, {32768, 32768}}},
      {"square-small", {{1024, 1024}, {2048, 2048}, {4096, 4096}, {8192, 8192}}},
      {"bitnet-2b", {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}}},
      {"bitnet-3b", {{3200, 3200}, {8640, 3200}, {3200, 8640}}},
      {"llama3-8b",
       {{4096, 4096}, {1024, 4096}, {14336, 4096}, {4096, 14336}}},
  };
  return kSets;
}

size_t ParseSize(const std::string& s, const std::string& what) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error(what, "'" + s + "' is not a positive integer");
  if (s.size() > 12) throw Error(what, "'" + s + "' is too large");
  const size_t v = std::stoull(s);
  if (v == 0) throw Error(what, "must be >= 1");
  return v;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

}  // namespace

std::string Shape::ToString() const {
  return std::to_string(m) + "x" + std::to_string(k);
}

std::vector<std::string> ShapeSetNames() {
  std::vector<std::string> names;
  for (const auto& [name, _] : Sets()) names.push_back(name);
  names.push_back("models");
  return names;
}

std::vector<Shape> ParseShapes(const std::string& spec) {
  std::vector<Shape> out;
  for (const std::string& item : Split(spec, ',')) {
    if (item.empty()) continue;
    if (item == "models") {
      for (const char* s : {"bitnet-2b", "bitnet-3b", "llama3-8b"})
        for (const Shape& sh : Sets().at(s)) out.push_back(sh);
      continue;
    }
    if (auto it = Sets().find(item); it != Sets().end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      continue;
    }
    const size_t x = item.find_first_of("xX");
    if (x == std::string::npos) {
      std::string names;
      for (const auto& n : ShapeSetNames()) names += " " + n;
      throw Error("shapes", "'" + item + "' is neither MxK nor a set (" +
                                names.substr(1) + ")");
    }
    out.push_back({ParseSize(item.substr(0, x), "shapes (M)"),
                   ParseSize(item.substr(x + 1), "shapes (K)")});
  }
  if (out.empty()) throw Error("shapes", "no shapes given");
  return out;
}

std::vector<size_t> ParseList(const std::string& spec,
                              const std::string& what) {
  std::vector<size_t> out;
  for (const std::string& item : Split(spec, ','))
    if (!item.empty()) out.push_back(ParseSize(item, what));
  if (out.empty()) throw Error(what, "empty list");
  return out;
}

}  // namespace rsr::harness
