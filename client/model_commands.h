#pragma once
// edgectl's local model commands (no server needed): compile (ONNX -> .efm) and run (host
// inference with state carried across steps). `inspect` of .efm files lives with the image
// commands, which call DescribeModelFile below.
#include <string>

#include "CLI/CLI.hpp"

namespace edge::client {

// Adds the subcommands to `app`; each sets `*exit_code` when it runs.
void AddModelCommands(CLI::App& app, int* exit_code);

// Prints an .efm model's summary (text, or JSON with `json`); 1 with a one-line error otherwise.
int DescribeEfmFile(const std::string& path, const std::string& bytes, bool json);

}  // namespace edge::client
