#include <cstdio>

#include "harness/cli.h"
#include "harness/machine.h"

namespace rsr::harness {

namespace {

struct InfoFlags {
  bool id_only = false;
};

int RunInfo(const InfoFlags& f) {
  const MachineInfo m = GetMachineInfo();
  if (f.id_only) {
    std::printf("%s\n", m.id.c_str());
  } else {
    nlohmann::json j = ToJson(m);
    j["target_best"] = CurrentTargetName();
    std::printf("%s\n", j.dump(2).c_str());
  }
  return 0;
}

}  // namespace

void AddInfoCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<InfoFlags>(
      app, action, "info", "machine context recorded with every result (JSON)",
      RunInfo);
  cmd->add_flag("--id", f->id_only,
                "print only the machine id (the results/<id>/ folder name)");
}

}  // namespace rsr::harness
