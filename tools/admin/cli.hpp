#pragma once
// What every gchat-admin command shares: failures as exit codes with a sentence, options, key and
// certificate files, dates, the administrator's identity and the connection to the relay.
#include <boost/program_options.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gchat/identity/certificate.hpp"
#include "gchat/identity/clearance.hpp"
#include "gchat/identity/key_file.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/net/relay_client.hpp"

namespace gchat::tools::admin {

namespace po = boost::program_options;
namespace v1 = gchat::identity::v1;

// Thrown by a command; main prints "gchat-admin: <message>" and exits with `code` (1: the
// operation failed, 2: bad usage or configuration).
struct Failure {
  int code;
  std::string message;
};
[[noreturn]] void usage_error(const std::string& message);
template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw Failure{1, what + ": " + r.error().to_string()};
  return std::move(r).value();
}
void must(const Status& s, const std::string& what);

// --- options ---------------------------------------------------------------------------------
std::string opt(const po::variables_map& vm, const char* name);
// A whole number option within [min, max], else `fallback` when absent; a usage error otherwise.
long number_option(const po::variables_map& vm, const char* name, long fallback, long min, long max);
std::string checked_id(const po::variables_map& vm);
std::vector<std::string> split(const std::string& list);
identity::Clearance clearance_option(const po::variables_map& vm, const char* name);
// --rights publish,cross-agency
void add_rights(const po::variables_map& vm, v1::UserCertificate& body);
v1::UserRef user_ref(const std::string& user, const char* option);
v1::UserRef user_option(const po::variables_map& vm);

// --- keys and files --------------------------------------------------------------------------
SecretBytes read_passphrase(const po::variables_map& vm, const char* file_option, const char* env,
                            const std::string& prompt, bool confirm);
// The key that signs (--passphrase-file, GCHAT_PASSPHRASE).
identity::SigningKey signing_key(const po::variables_map& vm, const char* option, std::string_view kind);
// Writes a new key to the path in `option`, sealed with the new passphrase (--new-passphrase-file,
// GCHAT_NEW_PASSPHRASE); refuses to overwrite.
void new_key_file(const po::variables_map& vm, const char* option, std::string_view kind,
                  const identity::SigningKey& key, identity::KdfCost cost = identity::moderate_cost());
// Refuses, before anything is signed, an output path that already exists.
void must_not_exist(const std::string& path);
template <typename Message>
Message read_message(const std::string& path);
void write_message(const std::string& path, const google::protobuf::Message& m);
std::string key_string(const Bytes& key);
std::uint64_t new_serial();

// --- time ------------------------------------------------------------------------------------
std::int64_t now();
inline constexpr std::int64_t kDay = 24 * 3600;
// Certificates expiring this soon are pointed out (show, list users, serve's own chain).
inline constexpr std::int64_t kWarnSeconds = 30 * kDay;
// Valid from now (less the clock skew every verifier allows) for `days` days.
v1::Validity validity_for(long days);
// --days (1 to 3650), else `default_days`.
void set_validity(v1::Validity* v, const po::variables_map& vm, long default_days);
std::string date_of(std::int64_t unix_seconds);  // 2027-03-04 (UTC)
// "expires 2027-03-04", with "(in 12 days)" when within `window` of `at`; "EXPIRED 2027-03-04".
std::string expiry_text(std::int64_t not_after, std::int64_t at, std::int64_t window = kWarnSeconds);
// "in 12 days" (whole days, rounded up) for a time after `at`.
std::string days_left_text(std::int64_t not_after, std::int64_t at);

// --- the administrator -----------------------------------------------------------------------
// The administrator's key and chain, checked to belong together; the chain as a VerifiedAdmin for
// local checks (the relay verifies it against the pinned root).
struct AdminIdentity {
  identity::SigningKey key;
  v1::AdminChain chain;
  identity::VerifiedAdmin admin;
};
AdminIdentity admin_identity(const po::variables_map& vm);
// The chain's administrator as the tool reads it (no root at hand: the relay checks the
// signatures); Failure when it is unreadable or not the chain of `key`.
identity::VerifiedAdmin admin_of(const v1::AdminChain& chain, const identity::SigningKey& key,
                                 const std::string& path);
std::string roles_text(const identity::VerifiedAdmin& admin);

// --- the relay -------------------------------------------------------------------------------
// The relay's answer to one act: AdminActOk, or its refusal (the relay's code and sentence).
struct ActReply {
  std::optional<net::pb::AdminActOk> ok;
  net::pb::ErrorCode code = net::pb::ERROR_CODE_UNSPECIFIED;
  std::string message;
  std::string refusal() const;  // "FORBIDDEN: administrator 'x' may not ..."
};

// --relay HOST:PORT, or --port PORT for a relay on this machine; a usage error otherwise.
net::Endpoint relay_endpoint(const po::variables_map& vm);

// One TLS connection to the relay (--relay HOST:PORT with its certificate checked against --ca for
// HOST, or --port PORT on this machine) carrying any number of acts.
class RelayConnection {
 public:
  // A usage error for a bad address; Failure{1} when the relay cannot be reached.
  static RelayConnection open(const po::variables_map& vm);
  RelayConnection(RelayConnection&&) noexcept;
  RelayConnection& operator=(RelayConnection&&) noexcept;
  ~RelayConnection();
  // Signs `act` (issued now, with a fresh nonce) and has the relay apply it. A refusal is a value
  // (waited out and resent a few times when it is RATE_LIMITED); a lost connection is Failure{1}.
  ActReply submit(const identity::SigningKey& key, const v1::AdminChain& chain, v1::AdminAct act);
  // The same, with a refusal as Failure{1} "the relay refused: CODE: sentence".
  net::pb::AdminActOk must_submit(const identity::SigningKey& key, const v1::AdminChain& chain,
                                  v1::AdminAct act);
  const net::Endpoint& relay() const noexcept { return relay_; }

 private:
  RelayConnection(net::Endpoint relay, std::unique_ptr<net::RelayClient> client);
  net::Endpoint relay_;
  std::unique_ptr<net::RelayClient> client_;
};
// One act on its own connection.
net::pb::AdminActOk submit_act(const po::variables_map& vm, const identity::SigningKey& key,
                               const v1::AdminChain& chain, v1::AdminAct act);

// --- template definitions --------------------------------------------------------------------
Bytes read_file_bytes(const std::string& path);
template <typename Message>
Message read_message(const std::string& path) {
  const Bytes data = read_file_bytes(path);
  Message m;
  if (data.size() > identity::kMaxChainSize ||
      !m.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    throw Failure{1, "'" + path + "' is not a file of the expected kind"};
  }
  return m;
}

}  // namespace gchat::tools::admin
