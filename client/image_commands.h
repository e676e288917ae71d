#pragma once
// edgectl's local commands for keys and signed images (no server needed):
// keygen, pubkey, sign, verify, inspect.
#include "CLI/CLI.hpp"

namespace edge::client {

// Adds the subcommands to `app`; each sets `*exit_code` when it runs.
void AddImageCommands(CLI::App& app, int* exit_code);

}  // namespace edge::client
