// rsr-bench: list kernels and targets, verify them against the reference,
// time them, and (further subcommands) reproduce the paper, probe bandwidth
// and check for regressions. `rsr-bench --help` lists everything.
#include <cstdio>
#include <exception>

#include "harness/cli.h"
#include "rsr/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "rsr-bench: ternary/binary matrix kernels (RSR, RSR++, I2_S, TL1, TL2, "
      "dense) side by side"};
  app.require_subcommand(1);
  rsr::harness::CommandResult action;
  rsr::harness::AddListCommand(app, action);
  rsr::harness::AddInfoCommand(app, action);
  rsr::harness::AddPrepareCommands(app, action);
  rsr::harness::AddVerifyCommand(app, action);
  rsr::harness::AddRunCommand(app, action);
  rsr::harness::AddRegressCommand(app, action);
  rsr::harness::AddBandwidthCommand(app, action);
  rsr::harness::AddRooflineCommand(app, action);
  rsr::harness::AddPaperCommand(app, action);
  rsr::harness::AddModelCommand(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const rsr::Error& e) {
    std::fprintf(stderr, "rsr-bench: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rsr-bench: error: %s\n", e.what());
    return 2;
  }
}
