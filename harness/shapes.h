// Shape lists for rsr-bench: "MxK[,MxK...]" or named sets
// (docs/algorithms.md §7).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rsr::harness {

struct Shape {
  size_t m = 0;
  size_t k = 0;
  std::string ToString() const;
};

// Named sets: square (2^10..2^15), square-small (2^10..2^13), bitnet-2b,
// bitnet-3b, llama3-8b, models (the three model sets). Throws rsr::Error
// ("shapes") on a malformed entry or unknown name.
std::vector<Shape> ParseShapes(const std::string& spec);
std::vector<std::string> ShapeSetNames();
// "1,5,32" -> {1,5,32}; every entry >= 1. Throws rsr::Error(what).
std::vector<size_t> ParseList(const std::string& spec, const std::string& what);

}  // namespace rsr::harness
