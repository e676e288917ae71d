#pragma once
// Test-only helpers for tests that work on real files and folders.
#include <dirent.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <string>

namespace edge::testing {

// A new empty folder under /tmp; `prefix` names the test.
inline std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  return mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
}

// Entries in `dir` (not counting dot files); 0 if it doesn't exist.
inline int CountFiles(const std::string& dir) {
  int n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// Whole file as bytes; empty if unreadable.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace edge::testing
