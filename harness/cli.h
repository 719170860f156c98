// rsr-bench subcommands. Each lives in its own cmd_*.cc and registers itself
// with the CLI11 app through one Add*Command function called from
// rsr_bench.cc. A command's callback returns the process exit code:
// 0 ok, 1 a check failed (mismatch, regression), 2 bad arguments.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "harness/shapes.h"
#include "rsr/targets.h"

namespace rsr::harness {

// Selection flags shared by verify, run, and friends.
struct Selection {
  std::string kernels = "all";
  std::string shapes = "1024x1024";
  std::string tokens = "1";
  std::string threads = "1";
  std::string target = "best";
  std::string k = "0";
  bool binary = false;
  uint64_t seed = 1;

  void AddFlags(CLI::App& cmd);
  std::vector<std::string> KernelList() const;  // validated against registry
  std::vector<Shape> ShapeList() const { return ParseShapes(shapes); }
  std::vector<size_t> TokenList() const { return ParseList(tokens, "tokens"); }
  std::vector<size_t> ThreadList() const { return ParseList(threads, "threads"); }
  std::vector<size_t> KList() const;  // 0 allowed (= default)
  // "best" -> {best}; "all" -> every supported target; else a list.
  std::vector<TargetInfo> TargetList() const;
};

using CommandResult = std::function<int()>;
// Every Add*Command stores its action in `action` when its subcommand is
// selected; main runs it.
void AddListCommand(CLI::App& app, CommandResult& action);
void AddInfoCommand(CLI::App& app, CommandResult& action);
void AddPrepareCommands(CLI::App& app, CommandResult& action);
void AddVerifyCommand(CLI::App& app, CommandResult& action);
void AddRunCommand(CLI::App& app, CommandResult& action);
void AddRegressCommand(CLI::App& app, CommandResult& action);
void AddBandwidthCommand(CLI::App& app, CommandResult& action);
void AddPaperCommand(CLI::App& app, CommandResult& action);

// Progress line on stderr ("[3/40] ...") when stderr is a terminal or when
// the run is long; cleared by a final newline.
void Progress(size_t done, size_t total, const std::string& what);

}  // namespace rsr::harness
