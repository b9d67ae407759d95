#include "passphrase.hpp"

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace gchat::tools {

namespace {

std::string ask(const std::string& prompt) {
  std::cerr << prompt << ": " << std::flush;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

}  // namespace

Result<SecretBytes> read_passphrase(const PassphraseSource& source) {
  std::string text;
  if (source.file) {
    std::ifstream in(*source.file);
    if (!in) return fail(Errc::io_failure, "cannot read " + *source.file);
    std::getline(in, text);
  } else if (const char* e = std::getenv(source.env)) {
    text = e;
  } else if (isatty(STDIN_FILENO)) {
    text = ask(source.prompt);
    if (source.confirm && ask("again") != text) return fail(Errc::config_invalid, "the passphrases differ");
  } else {
    return fail(Errc::invalid_argument, "no passphrase: give --" + source.file_option + " or set " + source.env);
  }
  if (source.confirm && text.size() < 12) return fail(Errc::config_invalid, "a new passphrase needs at least 12 characters");
  Bytes bytes(text.begin(), text.end());
  sodium_memzero(text.data(), text.size());
  return SecretBytes::take(bytes);
}

}  // namespace gchat::tools
