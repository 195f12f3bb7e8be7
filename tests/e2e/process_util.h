// Helpers for the end-to-end tests: run the real binaries as processes with
// stdout and stderr in files, wait for them, and find the port a server
// printed ("listening on ... (port N)").
//
// Header-only; not thread-safe.
#ifndef PROFUNDO_TESTS_E2E_PROCESS_UTIL_H_
#define PROFUNDO_TESTS_E2E_PROCESS_UTIL_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace profundo {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts `argv` with stdout and stderr sent to files; returns its pid.
// `env` ("NAME=value" entries) replaces this process's environment if set.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& out,
                   const std::string& err,
                   const std::vector<std::string>* env = nullptr) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (env != nullptr) {
    for (const std::string& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(),
                             env != nullptr ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

inline int WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs `argv` to its end with output in `stem`.out and `stem`.err.
inline Result RunToEnd(const std::vector<std::string>& argv,
                  const std::string& stem) {
  const pid_t pid = Spawn(argv, stem + ".out", stem + ".err");
  return Result{pid > 0 ? WaitExit(pid) : -1, ReadFile(stem + ".out"),
                ReadFile(stem + ".err")};
}

// Polls the server's stderr file for "(<label> N)" for up to 30 s; returns
// N, or 0 if it never appeared.
inline int WaitForPort(const std::string& err_path,
                       const std::string& label = "port") {
  const std::regex port_re("\\(" + label + " (\\d+)\\)");
  for (int i = 0; i < 300; ++i) {
    std::smatch m;
    const std::string err = ReadFile(err_path);
    if (std::regex_search(err, m, port_re)) return std::stoi(m[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

}  // namespace profundo

#endif  // PROFUNDO_TESTS_E2E_PROCESS_UTIL_H_
