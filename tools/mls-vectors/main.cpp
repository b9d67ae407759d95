// gchat-mls-vectors <type> <file.json>: runs one file of the official MLS test vectors and prints
// "N passed, N failed". Exit status 0 when every case of a supported suite passed (and at least
// one ran), 1 when a case failed, 2 when the file or the type is unusable.
#include <fstream>
#include <iostream>

#include "runner.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: gchat-mls-vectors <type> <file.json>\ntypes:";
    for (const auto& t : gchat::vectors::supported_types()) std::cerr << " " << t;
    std::cerr << "\n";
    return 2;
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::cerr << "gchat-mls-vectors: cannot open '" << argv[2] << "'\n";
    return 2;
  }
  nlohmann::json cases;
  try {
    in >> cases;
  } catch (const std::exception& e) {
    std::cerr << "gchat-mls-vectors: '" << argv[2] << "' is not valid JSON: " << e.what() << "\n";
    return 2;
  }
  auto report = gchat::vectors::run(argv[1], cases);
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
