// Errors raised by the public API.
//
// Every public entry point validates its arguments before touching memory and
// throws rsr::Error naming the offending argument. Nothing in the library
// aborts on bad user input; internal invariants use HWY_DASSERT.
#pragma once

#include <stdexcept>
#include <string>

namespace rsr {

class Error : public std::invalid_argument {
 public:
  // `argument` names the bad input ("w", "x", "y", "k", "file", ...).
  Error(std::string argument, const std::string& what)
      : std::invalid_argument("rsr: " + argument + ": " + what),
        argument_(std::move(argument)) {}
  const std::string& argument() const { return argument_; }

 private:
  std::string argument_;
};

}  // namespace rsr
