#pragma once
// Passphrases for the command-line tools: from a file (first line), else an environment variable,
// else the terminal without echo. Never from the command line, where other users could read it.

#include <optional>
#include <string>

#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"

namespace gchat::tools {

struct PassphraseSource {
  std::optional<std::string> file;  // the --...-file option's value, when given
  std::string file_option;          // its name, for the error message ("passphrase-file")
  const char* env = "";             // e.g. GCHAT_PASSPHRASE
  std::string prompt;
  bool confirm = false;             // a new passphrase: asked twice, at least 12 characters
};

// Errc::invalid_argument when no source gives one (a usage error); io_failure when the file is
// unreadable; config_invalid when a new passphrase is too short or the two entries differ.
Result<SecretBytes> read_passphrase(const PassphraseSource& source);

}  // namespace gchat::tools
