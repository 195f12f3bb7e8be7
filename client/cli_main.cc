// The `profundo` command-line tool (see client/cli/cli.h).
#include "client/cli/cli.h"

int main(int argc, char** argv) { return profundo::cli::RunCli(argc, argv); }
