#include "cli.hpp"

#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "passphrase.hpp"

namespace gchat::tools::admin {

void usage_error(const std::string& message) {
  throw Failure{2, message};
}

void must(const Status& s, const std::string& what) {
  if (!s.ok()) throw Failure{1, what + ": " + s.error().to_string()};
}

std::string opt(const po::variables_map& vm, const char* name) {
  if (!vm.count(name) || vm[name].as<std::string>().empty())
    usage_error(std::string("--") + name + " is required");
  return vm[name].as<std::string>();
}

long number_option(const po::variables_map& vm, const char* name, long fallback, long min, long max) {
  if (!vm.count(name)) return fallback;
  const long n = vm[name].as<long>();
  if (n < min || n > max)
    usage_error(std::string("--") + name + ": " + std::to_string(min) + " to " + std::to_string(max));
  return n;
}

std::string checked_id(const po::variables_map& vm) {
  const std::string id = opt(vm, "id");
  if (!identity::valid_id(id)) usage_error("--id: 1 to 64 characters of a-z, 0-9, '.', '_' and '-'");
  return id;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

identity::Clearance clearance_option(const po::variables_map& vm, const char* name) {
  auto level = identity::parse_clearance(opt(vm, name));
  if (!level)
    usage_error(std::string("--") + name + ": one of 0-3, unclassified, confidential, secret, top-secret");
  return *level;
}

void add_rights(const po::variables_map& vm, v1::UserCertificate& body) {
  if (!vm.count("rights")) return;
  for (const auto& r : split(vm["rights"].as<std::string>())) {
    if (r != "publish" && r != "cross-agency") {
      usage_error("--rights: publish, cross-agency (comma-separated), not '" + r + "'");
    }
    body.add_rights(r == "publish" ? v1::PUBLISH : v1::CROSS_AGENCY_GROUPS);
  }
}

v1::UserRef user_ref(const std::string& user, const char* option) {
  const auto slash = user.find('/');
  v1::UserRef ref;
  if (slash != std::string::npos) {
    ref.set_agency_id(user.substr(0, slash));
    ref.set_user_id(user.substr(slash + 1));
  }
  if (!identity::valid_id(ref.agency_id()) || !identity::valid_id(ref.user_id())) {
    usage_error(std::string("--") + option + ": AGENCY/USER");
  }
  return ref;
}

v1::UserRef user_option(const po::variables_map& vm) {
  return user_ref(opt(vm, "user"), "user");
}

SecretBytes read_passphrase(const po::variables_map& vm, const char* file_option, const char* env,
                            const std::string& prompt, bool confirm) {
  PassphraseSource source;
  if (vm.count(file_option)) source.file = vm[file_option].as<std::string>();
  source.file_option = file_option;
  source.env = env;
  source.prompt = prompt;
  source.confirm = confirm;
  auto pass = tools::read_passphrase(source);
  if (!pass.ok()) throw Failure{pass.error().code == Errc::invalid_argument ? 2 : 1, pass.error().message};
  return std::move(*pass);
}

identity::SigningKey signing_key(const po::variables_map& vm, const char* option, std::string_view kind) {
  const std::string path = opt(vm, option);
  auto pass = read_passphrase(vm, "passphrase-file", "GCHAT_PASSPHRASE", "passphrase for " + path, false);
  return must(identity::read_key_file(path, kind, pass), "reading " + path);
}

void must_not_exist(const std::string& path) {
  if (std::filesystem::exists(path)) throw Failure{1, "'" + path + "' exists; not overwriting it"};
}

void new_key_file(const po::variables_map& vm, const char* option, std::string_view kind,
                  const identity::SigningKey& key, identity::KdfCost cost) {
  const std::string path = opt(vm, option);
  if (std::filesystem::exists(path)) throw Failure{1, "'" + path + "' exists; not overwriting a key"};
  auto pass =
      read_passphrase(vm, "new-passphrase-file", "GCHAT_NEW_PASSPHRASE", "new passphrase for " + path, true);
  must(identity::write_key_file(path, kind, key, pass, cost), "writing " + path);
}

Bytes read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure{1, "cannot open '" + path + "'"};
  std::stringstream data;
  data << in.rdbuf();
  const std::string text = data.str();
  return Bytes(text.begin(), text.end());
}

void write_message(const std::string& path, const google::protobuf::Message& m) {
  must_not_exist(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << m.SerializeAsString();
  if (!out) throw Failure{1, "cannot write '" + path + "'"};
}

std::string key_string(const Bytes& key) {
  return std::string(key.begin(), key.end());
}

std::uint64_t new_serial() {
  std::uint64_t serial = 0;
  randombytes_buf(&serial, sizeof serial);
  return serial;
}

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

v1::Validity validity_for(long days) {
  v1::Validity v;
  v.set_not_before(now() - identity::kClockSkewSeconds);
  v.set_not_after(now() + days * kDay);
  return v;
}

void set_validity(v1::Validity* v, const po::variables_map& vm, long default_days) {
  *v = validity_for(number_option(vm, "days", default_days, 1, 3650));
}

std::string date_of(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

std::string expiry_text(std::int64_t not_after, std::int64_t at, std::int64_t window) {
  if (not_after == 0) return "expiry unknown";
  if (not_after <= at) return "EXPIRED " + date_of(not_after);
  std::string out = "expires " + date_of(not_after);
  if (not_after - at <= window) out += " (" + days_left_text(not_after, at) + ")";
  return out;
}

std::string days_left_text(std::int64_t not_after, std::int64_t at) {
  const std::int64_t days =
      (not_after - at + kDay - 1) / kDay;  // whole days, rounded up (as the apps say it)
  return "in " + std::to_string(days) + (days == 1 ? " day" : " days");
}

identity::VerifiedAdmin admin_of(const v1::AdminChain& chain, const identity::SigningKey& key,
                                 const std::string& path) {
  v1::AgencyCertificate agency;
  must(identity::parse_canonical(as_bytes(chain.agency().body()), agency, "agency certificate"),
       "reading " + path);
  v1::AdminCertificate body;
  must(identity::parse_canonical(as_bytes(chain.admin().body()), body, "administrator certificate"),
       "reading " + path);
  if (body.admin_key() != key_string(key.public_key())) {
    throw Failure{1, "the administrator key does not belong to the administrator chain in '" + path + "'"};
  }
  identity::VerifiedAdmin admin;
  admin.agency.agency_id = agency.agency_id();
  admin.agency.name_th = agency.name_th();
  admin.agency.name_en = agency.name_en();
  admin.agency.agency_key = Bytes(agency.agency_key().begin(), agency.agency_key().end());
  admin.agency.max_clearance = static_cast<identity::Clearance>(agency.max_clearance());
  admin.agency.not_after = agency.validity().not_after();
  admin.admin_id = body.admin_id();
  admin.name_th = body.name_th();
  admin.name_en = body.name_en();
  admin.admin_key = key.public_key();
  for (int r : body.roles()) admin.roles.push_back(static_cast<v1::Role>(r));
  admin.not_after = std::min(body.validity().not_after(), agency.validity().not_after());
  return admin;
}

AdminIdentity admin_identity(const po::variables_map& vm) {
  auto key = signing_key(vm, "admin-key", "admin");
  const std::string path = opt(vm, "admin-chain");
  auto chain = read_message<v1::AdminChain>(path);
  auto admin = admin_of(chain, key, path);
  return AdminIdentity{std::move(key), std::move(chain), std::move(admin)};
}

std::string roles_text(const identity::VerifiedAdmin& admin) {
  std::string out;
  for (auto r : admin.roles) out += (out.empty() ? "" : ",") + v1::Role_Name(r);
  return out.empty() ? "none" : out;
}

// --- the relay -------------------------------------------------------------------------------

std::string ActReply::refusal() const {
  return net::pb::ErrorCode_Name(code) + ": " + message;
}

RelayConnection::RelayConnection(net::Endpoint relay, std::unique_ptr<net::RelayClient> client)
    : relay_(std::move(relay)), client_(std::move(client)) {}
RelayConnection::RelayConnection(RelayConnection&&) noexcept = default;
RelayConnection& RelayConnection::operator=(RelayConnection&&) noexcept = default;
RelayConnection::~RelayConnection() = default;

net::Endpoint relay_endpoint(const po::variables_map& vm) {
  if (vm.count("relay")) {
    auto parsed = net::parse_endpoint(vm["relay"].as<std::string>());
    if (!parsed.ok()) usage_error("--relay: " + parsed.error().message);
    return *parsed;
  }
  const long port = vm.count("port") ? vm["port"].as<long>() : 0;
  if (port < 1 || port > 65535) usage_error("--relay HOST:PORT (or --port PORT for a relay on this machine)");
  return net::Endpoint{"127.0.0.1", std::to_string(port)};
}

RelayConnection RelayConnection::open(const po::variables_map& vm) {
  const net::Endpoint relay = relay_endpoint(vm);
  const std::string ca = opt(vm, "ca");
  try {
    return RelayConnection(relay, net::RelayClient::connect(relay, ca));
  } catch (const std::exception& e) {
    throw Failure{1, "cannot reach the relay at " + relay.to_string() + ": " + e.what()};
  }
}

ActReply RelayConnection::submit(const identity::SigningKey& key, const v1::AdminChain& chain,
                                 v1::AdminAct act) {
  act.set_issued_at(now());
  std::uint64_t nonce = 0;
  randombytes_buf(&nonce, sizeof nonce);
  act.set_nonce(nonce);
  net::pb::ClientFrame f;
  *f.mutable_submit_admin_act()->mutable_admin() = chain;
  *f.mutable_submit_admin_act()->mutable_act() =
      identity::make_signed(identity::SignedKind::admin_act, act, key);
  // A rate-limited act was not looked at, so the same signed act goes again once the relay allows.
  for (int attempt = 0;; ++attempt) {
    net::pb::ServerFrame reply;
    try {
      reply = client_->request(f);
    } catch (const std::exception& e) {
      throw Failure{1, "lost the relay at " + relay_.to_string() + ": " + e.what()};
    }
    if (reply.has_admin_act_ok()) return ActReply{reply.admin_act_ok(), {}, {}};
    if (!reply.has_error()) throw Failure{1, "unexpected answer from the relay at " + relay_.to_string()};
    if (reply.error().code() == net::pb::RATE_LIMITED && attempt < 3) {
      const auto wait = std::clamp<std::uint32_t>(reply.error().retry_after_ms(), 100, 10'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      continue;
    }
    return ActReply{std::nullopt, reply.error().code(), reply.error().message()};
  }
}

net::pb::AdminActOk RelayConnection::must_submit(const identity::SigningKey& key, const v1::AdminChain& chain,
                                                 v1::AdminAct act) {
  auto reply = submit(key, chain, std::move(act));
  if (!reply.ok) throw Failure{1, "the relay refused: " + reply.refusal()};
  return std::move(*reply.ok);
}

net::pb::AdminActOk submit_act(const po::variables_map& vm, const identity::SigningKey& key,
                               const v1::AdminChain& chain, v1::AdminAct act) {
  return RelayConnection::open(vm).must_submit(key, chain, std::move(act));
}

}  // namespace gchat::tools::admin
