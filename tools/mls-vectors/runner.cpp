#include "runner.hpp"

#include "gchat/crypto/cipher_suite.hpp"

namespace gchat::vectors {

namespace {

struct TypeEntry {
  const char* name;
  CaseCheck check;
  bool per_suite;  // cases carry "cipher_suite"
};

const std::vector<TypeEntry>& types() {
  static const std::vector<TypeEntry> table = {
      {"tree-math", check_tree_math, false},
      {"crypto-basics", check_crypto_basics, true},
      {"deserialization", check_deserialization, false},
      {"secret-tree", check_secret_tree, true},
      {"key-schedule", check_key_schedule, true},
      {"psk_secret", check_psk_secret, true},
      {"transcript-hashes", check_transcript_hashes, true},
      {"message-protection", check_message_protection, true},
      {"tree-validation", check_tree_validation, true},
      {"tree-operations", check_tree_operations, true},
      {"treekem", check_treekem, true},
      {"welcome", check_welcome, true},
      {"messages", check_messages, false},
      {"passive-client-welcome", check_passive_client, true},
      {"passive-client-handling-commit", check_passive_client, true},
      {"passive-client-random", check_passive_client, true},
  };
  return table;
}

// RFC 9420 §17.1 names, for the skip report.
std::string suite_name(std::uint16_t id) {
  switch (id) {
    case 1: return "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";
    case 2: return "MLS_128_DHKEMP256_AES128GCM_SHA256_P256";
    case 3: return "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519";
    case 4: return "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448";
    case 5: return "MLS_256_DHKEMP521_AES256GCM_SHA512_P521";
    case 6: return "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448";
    case 7: return "MLS_256_DHKEMP384_AES256GCM_SHA384_P384";
    default: return "suite " + std::to_string(id);
  }
}

}  // namespace

void expect(bool ok, const std::string& what) {
  if (!ok) throw CaseFailure{what};
}

void must(const Status& s, const std::string& what) {
  if (!s.ok()) throw CaseFailure{what + ": " + s.error().to_string()};
}

void expect_equal(BytesView actual, BytesView expected, const std::string& what) {
  if (actual.size() != expected.size() || !std::equal(actual.begin(), actual.end(), expected.begin())) {
    throw CaseFailure{what + " differs: got " + to_hex(actual) + ", expected " + to_hex(expected)};
  }
}

Bytes hex(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_string()) throw CaseFailure{std::string("field '") + key + "' is missing"};
  auto b = from_hex(j.at(key).get<std::string>());
  if (!b) throw CaseFailure{std::string("field '") + key + "' is not hex"};
  return *b;
}

Bytes hex(const nlohmann::json& value) {
  if (!value.is_string()) throw CaseFailure{"a list item is not a string"};
  auto b = from_hex(value.get<std::string>());
  if (!b) throw CaseFailure{"a list item is not hex"};
  return *b;
}

const crypto::CipherSuite& suite_of(const nlohmann::json& c) {
  return *must(crypto::CipherSuite::from_id(c.at("cipher_suite").get<std::uint16_t>()), "cipher suite");
}

std::vector<std::string> supported_types() {
  std::vector<std::string> out;
  for (const auto& t : types()) out.emplace_back(t.name);
  return out;
}

Result<Report> run_cases(const CaseCheck& check, bool per_suite, const nlohmann::json& cases,
                         const RunOptions& options) {
  if (!cases.is_array()) return fail(Errc::malformed, "a vector file is a JSON array of cases");
  if (options.only_case && *options.only_case >= cases.size()) {
    return fail(Errc::invalid_argument, "case " + std::to_string(*options.only_case) + " is past the end (" +
                                            std::to_string(cases.size()) + " cases)");
  }
  Report report;
  const std::size_t first = options.only_case.value_or(0);
  const std::size_t end = options.only_case ? first + 1 : cases.size();
  for (std::size_t i = first; i < end; ++i) {
    const auto& c = cases[i];
    auto failed = [&](const std::string& why) {
      report.failed++;
      report.failures.push_back("case " + std::to_string(i) + ": " + why);
    };
    if (per_suite) {
      // A case that does not say its suite is a broken case, not one to skip.
      const auto* suite = c.is_object() && c.contains("cipher_suite") ? &c.at("cipher_suite") : nullptr;
      if (!suite || !suite->is_number_integer() || suite->get<std::int64_t>() < 0 ||
          suite->get<std::int64_t>() > 0xffff) {
        failed("field 'cipher_suite' is missing or not a suite number");
        continue;
      }
      const auto id = suite->get<std::uint16_t>();
      if (!crypto::CipherSuite::from_id(id).ok()) {
        report.skipped[suite_name(id)]++;
        continue;
      }
    }
    if (options.on_case_start) options.on_case_start(i);
    try {
      check(c);
      report.passed++;
    } catch (const CaseFailure& f) {
      failed(f.message);
    } catch (const std::exception& e) {  // malformed JSON field types, or a fault in the code under test
      failed(std::string("unexpected exception: ") + e.what());
    } catch (...) {
      failed("unexpected exception of unknown type");
    }
  }
  return report;
}

Result<Report> run(std::string_view type, const nlohmann::json& cases, const RunOptions& options) {
  for (const auto& t : types()) {
    if (type == t.name) return run_cases(t.check, t.per_suite, cases, options);
  }
  return fail(Errc::invalid_argument, "unknown vector type '" + std::string(type) + "'");
}

}  // namespace gchat::vectors
