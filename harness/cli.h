// rsr-bench subcommands. Every command has one shape, in its own cmd_*.cc:
//   struct FooFlags { ... };          // every flag, defaults = documented ones
//   int RunFoo(const FooFlags& f);    // the action; returns the exit code:
//                                     // 0 ok, 1 a check failed (mismatch,
//                                     // regression), 2 bad arguments
//   void AddFooCommand(CLI::App& app, CommandResult& action) {
//     auto [cmd, f] = AddCommand<FooFlags>(app, action, "foo", "...", RunFoo);
//     cmd->add_option("--bar", f->bar, "...");   // flags bound to the struct
//   }
// rsr_bench.cc calls every Add*Command. Commands that write results take
// OutputFlags (--format, --out); those that pick kernels take Selection.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
  std::vector<size_t> ThreadList() const {
    return ParseList(threads, "threads");
  }
  std::vector<size_t> KList() const;  // 0 allowed (= default)
  // "best" -> {best}; "all" -> every supported target; else a list.
  std::vector<TargetInfo> TargetList() const;
};

using CommandResult = std::function<int()>;

// Registers subcommand `name`; when it is selected, `action` runs
// run(flags). Returns the subcommand (to add flags) and the flags struct the
// flags bind to (owned by the callback).
template <class Flags>
std::pair<CLI::App*, Flags*> AddCommand(CLI::App& app, CommandResult& action,
                                        const std::string& name,
                                        const std::string& description,
                                        int (*run)(const Flags&)) {
  auto* cmd = app.add_subcommand(name, description);
  auto flags = std::make_shared<Flags>();
  cmd->callback(
      [&action, flags, run] { action = [flags, run] { return run(*flags); }; });
  return {cmd, flags.get()};
}

// --format (one of `formats`; the first is the default) and --out.
struct OutputFlags {
  std::string format;
  std::string out = "-";
  void AddFlags(CLI::App& cmd, const std::vector<std::string>& formats);
};
// Every Add*Command stores its action in `action` when its subcommand is
// selected; main runs it.
void AddListCommand(CLI::App& app, CommandResult& action);
void AddInfoCommand(CLI::App& app, CommandResult& action);
void AddPrepareCommands(CLI::App& app, CommandResult& action);
void AddVerifyCommand(CLI::App& app, CommandResult& action);
void AddRunCommand(CLI::App& app, CommandResult& action);
void AddRegressCommand(CLI::App& app, CommandResult& action);
void AddBandwidthCommand(CLI::App& app, CommandResult& action);
void AddRooflineCommand(CLI::App& app, CommandResult& action);
void AddPaperCommand(CLI::App& app, CommandResult& action);
void AddModelCommand(CLI::App& app, CommandResult& action);

// Progress line on stderr ("[3/40] ...") when stderr is a terminal or when
// the run is long; cleared by a final newline.
void Progress(size_t done, size_t total, const std::string& what);

}  // namespace rsr::harness
