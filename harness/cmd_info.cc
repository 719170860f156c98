#include <cstdio>

#include "harness/cli.h"
#include "harness/machine.h"

namespace rsr::harness {

void AddInfoCommand(CLI::App& app, CommandResult& action) {
  auto* cmd = app.add_subcommand(
      "info", "machine context recorded with every result (JSON)");
  auto id_only = std::make_shared<bool>(false);
  cmd->add_flag("--id", *id_only,
                "print only the machine id (the results/<id>/ folder name)");
  cmd->callback([&action, id_only] {
    action = [id_only] {
      const MachineInfo m = GetMachineInfo();
      if (*id_only) {
        std::printf("%s\n", m.id.c_str());
      } else {
        nlohmann::json j = ToJson(m);
        j["target_best"] = CurrentTargetName();
        std::printf("%s\n", j.dump(2).c_str());
      }
      return 0;
    };
  });
}

}  // namespace rsr::harness
