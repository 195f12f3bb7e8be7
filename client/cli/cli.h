// The `profundo` command-line tool: parses
//   profundo [global flags] <command> [arguments] [command flags]
// (flags may come anywhere; dashes in flag names are accepted as
// underscores), connects a profundo::Client to --server and runs the
// command. Errors print "profundo: <CODE>: <message>" to stderr; the exit
// code tells the category (output.h, ExitCode).
//
// Uses the process-global absl flags: call once per process, from main.
//
// Example:
//   int main(int argc, char** argv) { return profundo::cli::RunCli(argc, argv); }
#ifndef PROFUNDO_CLIENT_CLI_CLI_H_
#define PROFUNDO_CLIENT_CLI_CLI_H_

#include <string>
#include <vector>

namespace profundo::cli {

int RunCli(int argc, char** argv);

// argv with "--batch-size=3" rewritten as "--batch_size=3" (flag names
// only, up to '=', never after a bare "--").
std::vector<std::string> NormalizeFlagNames(const std::vector<std::string>& args);

// The text `profundo help` prints.
std::string UsageText();

}  // namespace profundo::cli

#endif  // PROFUNDO_CLIENT_CLI_CLI_H_
