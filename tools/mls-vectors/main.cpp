// gchat-mls-vectors [--case N] [--trace] <type> <file.json>: runs one file of the official MLS test
// vectors and prints "N passed, N failed". --case runs case N alone; --trace names each case on
// stderr before it runs, so that a crash no exception can report (a sanitizer abort) is still
// attributable. Exit status 0 when every case of a supported suite passed (and at least one ran),
// 1 when a case failed, 2 when the file, the type or the options are unusable.
#include <charconv>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "runner.hpp"

namespace {

int usage() {
  std::cerr << "usage: gchat-mls-vectors [--case N] [--trace] <type> <file.json>\ntypes:";
  for (const auto& t : gchat::vectors::supported_types()) std::cerr << " " << t;
  std::cerr << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  gchat::vectors::RunOptions options;
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--trace") {
      options.on_case_start = [](std::size_t n) { std::cerr << "case " << n << " ..." << std::endl; };
    } else if (arg == "--case" && i + 1 < argc) {
      const std::string_view n = argv[++i];
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), index);
      if (ec != std::errc{} || end != n.data() + n.size()) return usage();
      options.only_case = index;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return usage();
  const std::string type(positional[0]), file(positional[1]);
  std::ifstream in(file);
  if (!in) {
    std::cerr << "gchat-mls-vectors: cannot open '" << file << "'\n";
    return 2;
  }
  nlohmann::json cases;
  try {
    in >> cases;
  } catch (const std::exception& e) {
    std::cerr << "gchat-mls-vectors: '" << file << "' is not valid JSON: " << e.what() << "\n";
    return 2;
  }
  auto report = gchat::vectors::run(type, cases, options);
  if (!report.ok()) {
    std::cerr << "gchat-mls-vectors: " << report.error().to_string() << "\n";
    return 2;
  }
  for (const auto& f : report->failures) std::cout << "FAIL " << f << "\n";
  for (const auto& [suite, n] : report->skipped) std::cout << "skipped " << n << " case(s) of " << suite << " (not supported)\n";
  std::cout << report->passed << " passed, " << report->failed << " failed\n";
  if (report->failed > 0) return 1;
  return report->passed > 0 ? 0 : 2;
}
