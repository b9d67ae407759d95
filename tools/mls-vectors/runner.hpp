#pragma once
// Runs the official MLS test vectors (../shared/mls-vectors, format in test-vectors.md) against
// client-core. One entry point per vector type; each case is checked completely and reported
// by index, so one failure — or one exception of any kind — does not hide the next. Cases for
// cipher suites we do not implement are skipped and listed by suite name.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"

namespace gchat::vectors {

struct Report {
  int passed = 0;
  int failed = 0;
  std::map<std::string, int> skipped;  // suite name -> cases skipped
  std::vector<std::string> failures;   // "case 3: epoch 2: joiner_secret differs"
};

struct RunOptions {
  std::optional<std::size_t> only_case;             // run this index alone (a crash is then attributable)
  std::function<void(std::size_t)> on_case_start;  // called before each case runs (tracing)
};

// Errc::invalid_argument for an unknown type or an index past the end; the JSON must be the file's
// top-level array.
Result<Report> run(std::string_view type, const nlohmann::json& cases, const RunOptions& options = {});
std::vector<std::string> supported_types();

// --- for the checks ------------------------------------------------------------------------

// Thrown inside a case to fail it with a message; caught by the runner.
struct CaseFailure {
  std::string message;
};

// A failed check throws CaseFailure with `what`.
void expect(bool ok, const std::string& what);
// The hex field `key` of `j`, decoded; CaseFailure when absent or not hex.
Bytes hex(const nlohmann::json& j, const char* key);
Bytes hex(const nlohmann::json& value);  // a hex string in a list
// Result<T> -> T, or CaseFailure naming `what` and the error.
template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw CaseFailure{what + ": " + r.error().to_string()};
  return std::move(*r);
}
void must(const Status& s, const std::string& what);
void expect_equal(BytesView actual, BytesView expected, const std::string& what);

// The case's "cipher_suite" (the runner has already skipped unsupported ones).
const crypto::CipherSuite& suite_of(const nlohmann::json& c);

// Decodes an MLSMessage and returns its body of the expected kind; CaseFailure otherwise.
template <typename Alternative>
Alternative message_body(const Bytes& encoded, const std::string& what) {
  auto m = must(codec::decode_exact<mls::MlsMessage>(encoded), what);
  auto* body = std::get_if<Alternative>(&m.body);
  expect(body != nullptr, what + ": unexpected wire format");
  return std::move(*body);
}

// One check function per type: runs one case (already known to use a supported suite).
using CaseCheck = std::function<void(const nlohmann::json&)>;
// What run() does once it knows the type: each case runs on its own, and anything it throws —
// CaseFailure, any std::exception, anything else — fails that case alone. With `per_suite`, a
// case without a numeric "cipher_suite" fails; one for a suite we do not implement is skipped.
Result<Report> run_cases(const CaseCheck& check, bool per_suite, const nlohmann::json& cases,
                         const RunOptions& options = {});
void check_tree_math(const nlohmann::json& c);
void check_crypto_basics(const nlohmann::json& c);
void check_deserialization(const nlohmann::json& c);
void check_secret_tree(const nlohmann::json& c);
void check_key_schedule(const nlohmann::json& c);
void check_psk_secret(const nlohmann::json& c);
void check_transcript_hashes(const nlohmann::json& c);
void check_message_protection(const nlohmann::json& c);
void check_tree_validation(const nlohmann::json& c);
void check_tree_operations(const nlohmann::json& c);
void check_treekem(const nlohmann::json& c);
void check_welcome(const nlohmann::json& c);
void check_messages(const nlohmann::json& c);
void check_passive_client(const nlohmann::json& c);

}  // namespace gchat::vectors
