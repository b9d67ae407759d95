// gchat-admin: the government PKI and its administrative acts. Creates the root (offline, key
// protected by a passphrase with Argon2id), agencies and administrators; issues user
// certificates; revokes devices and users on a relay; verifies a relay's audit log. Every error is
// a sentence on stderr and a non-zero exit code (1: the operation failed, 2: bad usage).
#include <sodium.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gchat/identity/certificate.hpp"
#include "gchat/identity/clearance.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/enrolment.hpp"
#include "gchat/identity/key_file.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/net/relay_client.hpp"
#include "gchat/server/audit_log.hpp"
#include "passphrase.hpp"

namespace po = boost::program_options;
namespace v1 = gchat::identity::v1;
using namespace gchat;

namespace {

constexpr const char* kUsage = R"(usage: gchat-admin <command> [options]

  root init       --key-out FILE [--kdf moderate|sensitive]
  agency create   --root-key FILE --id ID --name-th NAME --name-en NAME --max-clearance LEVEL
                  --key-out FILE --cert-out FILE [--days N]
  admin create    --agency-key FILE --agency-cert FILE --id ID --name-th NAME --name-en NAME
                  --roles user-admin,clearance-officer,channel-admin --key-out FILE --chain-out FILE [--days N]
  user issue      --admin-key FILE --admin-chain FILE --id ID --name-th NAME --name-en NAME
                  --clearance LEVEL --identity-key HEX --cert-out FILE [--rights publish,cross-agency] [--days N]
  enrol grant     --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --id ID --name-th NAME
                  --name-en NAME --clearance LEVEL [--rights ...] [--code-days N]   (prints the one-time code)
  enrol complete  --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE [--days N]
                  (signs the certificates of every redeemed code of the agency)
  clearance set   --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --user AGENCY/USER
                  --clearance LEVEL [--days N]   (lowering removes the user from groups above the level)
  revoke device   --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --device-key HEX
  revoke user     --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --user AGENCY/USER
  list users      --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE
  channel create  --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --title TEXT --clearance LEVEL
                  [--publishers AGENCY/USER,...] [--agencies ID,...] [--channel HEX (to change one)]
                  (prints the channel's id; publishers need the publish right)
  channel subscribe-agency  --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --channel HEX
                  (every person of your agency cleared for the channel, now and as they connect later)
  audit verify    --db FILE --relay-key HEX
  show            FILE   (a certificate or chain written by this tool)

LEVEL: 0-3, unclassified|confidential|secret|top-secret, or the Thai label.
Passphrases: --passphrase-file FILE (the key that signs) and --new-passphrase-file FILE (a key
being created), else the environment (GCHAT_PASSPHRASE, GCHAT_NEW_PASSPHRASE), else the terminal.
The relay: --relay HOST:PORT over TLS, its certificate verified with --ca for HOST (a name or an
address); --port PORT is short for --relay 127.0.0.1:PORT.
)";

struct Failure {
  int code;
  std::string message;
};
[[noreturn]] void usage_error(const std::string& message) { throw Failure{2, message}; }
template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw Failure{1, what + ": " + r.error().to_string()};
  return std::move(r).value();
}
void must(const Status& s, const std::string& what) {
  if (!s.ok()) throw Failure{1, what + ": " + s.error().to_string()};
}

std::string opt(const po::variables_map& vm, const char* name) {
  if (!vm.count(name) || vm[name].as<std::string>().empty()) usage_error(std::string("--") + name + " is required");
  return vm[name].as<std::string>();
}

SecretBytes read_passphrase(const po::variables_map& vm, const char* file_option, const char* env, const std::string& prompt,
                            bool confirm) {
  tools::PassphraseSource source;
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

void new_key_file(const po::variables_map& vm, std::string_view kind, const identity::SigningKey& key,
                  identity::KdfCost cost = identity::moderate_cost()) {
  const std::string path = opt(vm, "key-out");
  if (std::filesystem::exists(path)) throw Failure{1, "'" + path + "' exists; not overwriting a key"};
  auto pass = read_passphrase(vm, "new-passphrase-file", "GCHAT_NEW_PASSPHRASE", "new passphrase for " + path, true);
  must(identity::write_key_file(path, kind, key, pass, cost), "writing " + path);
}

template <typename Message>
Message read_message(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure{1, "cannot open '" + path + "'"};
  std::stringstream data;
  data << in.rdbuf();
  Message m;
  if (data.str().size() > identity::kMaxChainSize || !m.ParseFromString(data.str())) {
    throw Failure{1, "'" + path + "' is not a file of the expected kind"};
  }
  return m;
}

void write_message(const std::string& path, const google::protobuf::Message& m) {
  if (std::filesystem::exists(path)) throw Failure{1, "'" + path + "' exists; not overwriting it"};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << m.SerializeAsString();
  if (!out) throw Failure{1, "cannot write '" + path + "'"};
}

std::string key_string(const Bytes& key) { return std::string(key.begin(), key.end()); }

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

void set_validity(v1::Validity* v, const po::variables_map& vm, long default_days) {
  const long days = vm.count("days") ? vm["days"].as<long>() : default_days;
  if (days < 1 || days > 3650) usage_error("--days: 1 to 3650");
  v->set_not_before(now() - 300);
  v->set_not_after(now() + days * 24 * 3600);
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
  if (!level) usage_error(std::string("--") + name + ": one of 0-3, unclassified, confidential, secret, top-secret");
  return *level;
}

// Signs `act` (issued now, with a fresh nonce) and has the relay apply it.
net::pb::AdminActOk submit_act(const po::variables_map& vm, const identity::SigningKey& admin_key,
                               const v1::AdminChain& chain, v1::AdminAct act) {
  act.set_issued_at(now());
  std::uint64_t nonce = 0;
  randombytes_buf(&nonce, sizeof nonce);
  act.set_nonce(nonce);
  // --relay HOST:PORT (the relay's certificate must name HOST), or --port PORT for one on this machine.
  net::Endpoint relay;
  if (vm.count("relay")) {
    auto parsed = net::parse_endpoint(vm["relay"].as<std::string>());
    if (!parsed.ok()) usage_error("--relay: " + parsed.error().message);
    relay = *parsed;
  } else {
    const long port = vm.count("port") ? vm["port"].as<long>() : 0;
    if (port < 1 || port > 65535) usage_error("--relay HOST:PORT (or --port PORT for a relay on this machine)");
    relay = net::Endpoint{"127.0.0.1", std::to_string(port)};
  }
  std::unique_ptr<net::RelayClient> client;
  try {
    client = net::RelayClient::connect(relay, opt(vm, "ca"));
  } catch (const std::exception& e) {
    throw Failure{1, "cannot reach the relay at " + relay.to_string() + ": " + e.what()};
  }
  net::pb::ClientFrame f;
  *f.mutable_submit_admin_act()->mutable_admin() = chain;
  *f.mutable_submit_admin_act()->mutable_act() = identity::make_signed(identity::SignedKind::admin_act, act, admin_key);
  const auto reply = client->request(f);
  if (reply.has_error()) {
    throw Failure{1, "the relay refused: " + net::pb::ErrorCode_Name(reply.error().code()) + ": " + reply.error().message()};
  }
  if (!reply.has_admin_act_ok()) throw Failure{1, "unexpected answer from the relay"};
  return reply.admin_act_ok();
}

// The administrator's key and chain, checked to belong together; the chain as a VerifiedAdmin for
// local checks (the relay verifies it against the pinned root).
struct AdminIdentity {
  identity::SigningKey key;
  v1::AdminChain chain;
  identity::VerifiedAdmin admin;
};
AdminIdentity admin_identity(const po::variables_map& vm) {
  auto key = signing_key(vm, "admin-key", "admin");
  auto chain = read_message<v1::AdminChain>(opt(vm, "admin-chain"));
  v1::AgencyCertificate agency;
  must(identity::parse_canonical(as_bytes(chain.agency().body()), agency, "agency certificate"), "reading the chain");
  v1::AdminCertificate body;
  must(identity::parse_canonical(as_bytes(chain.admin().body()), body, "administrator certificate"), "reading the chain");
  if (body.admin_key() != key_string(key.public_key())) {
    throw Failure{1, "the administrator key does not belong to the administrator chain"};
  }
  identity::VerifiedAdmin admin;
  admin.agency.agency_id = agency.agency_id();
  admin.agency.max_clearance = static_cast<identity::Clearance>(agency.max_clearance());
  admin.admin_id = body.admin_id();
  admin.admin_key = key.public_key();
  for (int r : body.roles()) admin.roles.push_back(static_cast<v1::Role>(r));
  return AdminIdentity{std::move(key), std::move(chain), std::move(admin)};
}

void add_rights(const po::variables_map& vm, v1::UserCertificate& body) {
  if (!vm.count("rights")) return;
  for (const auto& r : split(vm["rights"].as<std::string>())) {
    if (r == "publish") body.add_rights(v1::PUBLISH);
    else if (r == "cross-agency") body.add_rights(v1::CROSS_AGENCY_GROUPS);
    else usage_error("--rights: publish, cross-agency (comma-separated), not '" + r + "'");
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

v1::UserRef user_option(const po::variables_map& vm) { return user_ref(opt(vm, "user"), "user"); }

std::uint64_t new_serial() {
  std::uint64_t serial = 0;
  randombytes_buf(&serial, sizeof serial);
  return serial;
}

// --- commands --------------------------------------------------------------------------------

int root_init(const po::variables_map& vm) {
  const std::string kdf = vm.count("kdf") ? vm["kdf"].as<std::string>() : "sensitive";
  if (kdf != "moderate" && kdf != "sensitive") usage_error("--kdf: moderate or sensitive");
  auto key = identity::SigningKey::generate();
  new_key_file(vm, "root", key, kdf == "sensitive" ? identity::sensitive_cost() : identity::moderate_cost());
  std::cout << "root public key (pin it as root-key in every relay and client):\n" << to_hex(key.public_key()) << "\n";
  return 0;
}

int agency_create(const po::variables_map& vm) {
  const auto root = signing_key(vm, "root-key", "root");
  auto agency_key = identity::SigningKey::generate();
  v1::AgencyCertificate body;
  std::uint64_t serial = 0;
  randombytes_buf(&serial, sizeof serial);
  body.set_serial(serial);
  body.set_agency_id(checked_id(vm));
  body.set_name_th(opt(vm, "name-th"));
  body.set_name_en(opt(vm, "name-en"));
  body.set_agency_key(key_string(agency_key.public_key()));
  body.set_max_clearance(static_cast<v1::Clearance>(clearance_option(vm, "max-clearance")));
  set_validity(body.mutable_validity(), vm, 365);
  const auto cert = identity::make_signed(identity::SignedKind::agency_certificate, body, root);
  must(identity::verify_agency(cert, identity::TrustAnchor{root.public_key(), now(), nullptr}), "checking the certificate");
  new_key_file(vm, "agency", agency_key);
  write_message(opt(vm, "cert-out"), cert);
  std::cout << "agency " << body.agency_id() << " (" << body.name_th() << " / " << body.name_en()
            << "), may grant up to " << identity::label_both(static_cast<identity::Clearance>(body.max_clearance()))
            << "\n";
  return 0;
}

int admin_create(const po::variables_map& vm) {
  const auto agency_key = signing_key(vm, "agency-key", "agency");
  const auto agency_cert = read_message<v1::Signed>(opt(vm, "agency-cert"));
  v1::AgencyCertificate agency;
  must(identity::parse_canonical(as_bytes(agency_cert.body()), agency, "agency certificate"), "reading the agency certificate");
  if (agency.agency_key() != key_string(agency_key.public_key())) {
    throw Failure{1, "the agency key does not belong to the agency certificate"};
  }
  auto admin_key = identity::SigningKey::generate();
  v1::AdminCertificate body;
  std::uint64_t serial = 0;
  randombytes_buf(&serial, sizeof serial);
  body.set_serial(serial);
  body.set_admin_id(checked_id(vm));
  body.set_agency_id(agency.agency_id());
  body.set_name_th(opt(vm, "name-th"));
  body.set_name_en(opt(vm, "name-en"));
  body.set_admin_key(key_string(admin_key.public_key()));
  for (const auto& r : split(opt(vm, "roles"))) {
    if (r == "user-admin") body.add_roles(v1::USER_ADMIN);
    else if (r == "clearance-officer") body.add_roles(v1::CLEARANCE_OFFICER);
    else if (r == "channel-admin") body.add_roles(v1::CHANNEL_ADMIN);
    else usage_error("--roles: user-admin, clearance-officer, channel-admin (comma-separated), not '" + r + "'");
  }
  set_validity(body.mutable_validity(), vm, 365);
  v1::AdminChain chain;
  *chain.mutable_agency() = agency_cert;
  *chain.mutable_admin() = identity::make_signed(identity::SignedKind::admin_certificate, body, agency_key);
  new_key_file(vm, "admin", admin_key);
  write_message(opt(vm, "chain-out"), chain);
  std::cout << "administrator " << agency.agency_id() << "/" << body.admin_id() << "\n";
  return 0;
}

int user_issue(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  const auto identity_key = from_hex(opt(vm, "identity-key"));
  if (!identity_key || identity_key->size() != 32) usage_error("--identity-key: 64 hex digits");
  v1::UserCertificate body;
  body.set_serial(new_serial());
  body.set_user_id(checked_id(vm));
  body.set_agency_id(admin.agency.agency_id);
  body.set_name_th(opt(vm, "name-th"));
  body.set_name_en(opt(vm, "name-en"));
  body.set_identity_key(key_string(*identity_key));
  body.set_clearance(static_cast<v1::Clearance>(clearance_option(vm, "clearance")));
  add_rights(vm, body);
  set_validity(body.mutable_validity(), vm, 90);
  body.set_admin_id(admin.admin_id);
  // Refuse here, with the reason, what every verifier would refuse later.
  must(identity::check_user_issuable(admin, body), "refused");
  write_message(opt(vm, "cert-out"), identity::make_signed(identity::SignedKind::user_certificate, body, admin_key));
  std::cout << "user " << body.agency_id() << "/" << body.user_id() << " cleared "
            << identity::label_both(static_cast<identity::Clearance>(body.clearance())) << "\n";
  return 0;
}

int revoke(const po::variables_map& vm, const std::string& what) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  v1::AdminAct act;
  if (what == "device") {
    auto key = from_hex(opt(vm, "device-key"));
    if (!key || key->size() != 32) usage_error("--device-key: 64 hex digits");
    act.set_revoke_device(key_string(*key));
  } else {
    *act.mutable_revoke_user() = user_option(vm);
  }
  const auto reply = submit_act(vm, admin_key, chain, act);
  std::cout << what << " revoked; audit entry " << reply.audit_seq() << ", revocation list "
            << reply.revocation_list_number() << "\n";
  return 0;
}

int enrol_grant(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  v1::AdminAct act;
  auto* grant = act.mutable_grant_enrolment();
  auto* t = grant->mutable_template_();
  t->set_user_id(checked_id(vm));
  t->set_agency_id(admin.agency.agency_id);
  t->set_name_th(opt(vm, "name-th"));
  t->set_name_en(opt(vm, "name-en"));
  t->set_clearance(static_cast<v1::Clearance>(clearance_option(vm, "clearance")));
  add_rights(vm, *t);
  t->set_admin_id(admin.admin_id);
  v1::UserCertificate probe = *t;
  probe.set_identity_key(std::string(32, '\0'));
  must(identity::check_user_issuable(admin, probe), "refused");
  const long code_days = vm.count("code-days") ? vm["code-days"].as<long>() : 7;
  if (code_days < 1 || code_days > 30) usage_error("--code-days: 1 to 30");
  grant->set_expires_at(now() + code_days * 24 * 3600);
  const std::string code = identity::new_enrolment_code();
  const Bytes hash = identity::enrolment_code_hash(*identity::normalized_enrolment_code(code));
  grant->set_code_hash(key_string(hash));
  submit_act(vm, admin_key, chain, act);
  std::cout << "enrolment code for " << t->agency_id() << "/" << t->user_id() << " (valid " << code_days
            << " days, once):\n" << code << "\n";
  return 0;
}

int enrol_complete(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  v1::AdminAct list;
  list.mutable_list_enrolments();
  const auto pending = submit_act(vm, admin_key, chain, list);
  int issued = 0;
  for (const auto& p : pending.enrolments()) {
    v1::UserCertificate body = p.template_();
    if (body.admin_id() != admin.admin_id) continue;  // each administrator signs what they granted
    body.set_serial(new_serial());
    body.set_identity_key(p.identity_key());
    set_validity(body.mutable_validity(), vm, 90);
    must(identity::check_user_issuable(admin, body), "refused " + body.user_id());
    v1::AdminAct act;
    *act.mutable_issue_user() = identity::make_signed(identity::SignedKind::user_certificate, body, admin_key);
    submit_act(vm, admin_key, chain, act);
    std::cout << "issued " << body.agency_id() << "/" << body.user_id() << " ("
              << identity::label_both(static_cast<identity::Clearance>(body.clearance())) << ")\n";
    ++issued;
  }
  if (issued == 0) std::cout << "no redeemed enrolment codes of yours are waiting\n";
  return 0;
}

int clearance_set(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  const std::string user = opt(vm, "user");
  v1::AdminAct query;
  *query.mutable_get_user() = user_option(vm);
  const auto current = submit_act(vm, admin_key, chain, query);
  v1::UserCertificate body;
  must(identity::parse_canonical(as_bytes(current.user_certificate().body()), body, "user certificate"),
       "reading the current certificate");
  const auto before = static_cast<identity::Clearance>(body.clearance());
  body.set_clearance(static_cast<v1::Clearance>(clearance_option(vm, "clearance")));
  body.set_serial(new_serial());
  body.set_admin_id(admin.admin_id);
  set_validity(body.mutable_validity(), vm, 90);
  must(identity::check_user_issuable(admin, body), "refused");
  v1::AdminAct act;
  *act.mutable_set_clearance() = identity::make_signed(identity::SignedKind::user_certificate, body, admin_key);
  const auto reply = submit_act(vm, admin_key, chain, act);
  std::cout << user << ": " << identity::label_both(before) << " -> "
            << identity::label_both(static_cast<identity::Clearance>(body.clearance())) << "; audit entry "
            << reply.audit_seq() << "\n";
  return 0;
}

// A channel of the administrator's agency (CHANNEL_ADMIN), signed here, applied by the relay.
int channel_create(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  v1::ChannelDescriptor d;
  Bytes id(identity::kChannelIdSize);
  if (vm.count("channel")) {
    auto given = from_hex(opt(vm, "channel"));
    if (!given || given->size() != identity::kChannelIdSize) usage_error("--channel: 32 hex digits");
    id = *given;
  } else {
    randombytes_buf(id.data(), id.size());
  }
  d.set_channel_id(key_string(id));
  d.set_agency_id(admin.agency.agency_id);
  d.set_title(opt(vm, "title"));
  d.set_level(static_cast<v1::Clearance>(clearance_option(vm, "clearance")));
  if (vm.count("agencies")) {
    for (const auto& a : split(vm["agencies"].as<std::string>())) d.add_allowed_agencies(a);
  }
  if (vm.count("publishers")) {
    for (const auto& p : split(vm["publishers"].as<std::string>())) *d.add_publishers() = user_ref(p, "publishers");
  }
  d.set_version(static_cast<std::uint64_t>(now()) * 1000);  // a later change carries a later version
  d.set_admin_id(admin.admin_id);
  d.set_issued_at(now());
  if (!admin.has(v1::CHANNEL_ADMIN)) throw Failure{1, "refused: channels are set by a channel administrator"};
  must(identity::check_channel_shape(d, admin), "refused");
  v1::AdminAct act;
  *act.mutable_set_channel() = identity::make_signed(identity::SignedKind::channel, d, admin_key);
  const auto reply = submit_act(vm, admin_key, chain, act);
  std::cout << "channel " << to_hex(id) << " \"" << d.title() << "\" "
            << identity::label_both(static_cast<identity::Clearance>(d.level())) << "; audit entry " << reply.audit_seq()
            << "\n";
  return 0;
}

int channel_subscribe_agency(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  auto id = from_hex(opt(vm, "channel"));
  if (!id || id->size() != identity::kChannelIdSize) usage_error("--channel: 32 hex digits");
  v1::AdminAct act;
  act.mutable_subscribe_agency()->set_channel_id(key_string(*id));
  act.mutable_subscribe_agency()->set_agency_id(admin.agency.agency_id);
  const auto reply = submit_act(vm, admin_key, chain, act);
  std::cout << reply.subscribed() << " people of " << admin.agency.agency_id << " subscribed; audit entry "
            << reply.audit_seq() << "\n";
  return 0;
}

int list_users(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  v1::AdminAct act;
  act.mutable_list_users();
  const auto reply = submit_act(vm, admin_key, chain, act);
  std::cout << "agency " << admin.agency.agency_id << ": " << reply.users_size() << " people\n";
  for (const auto& u : reply.users()) {
    std::cout << "  " << u.user_id() << "  " << identity::label_both(static_cast<identity::Clearance>(u.clearance()))
              << "  devices " << u.devices() << (u.revoked_devices() ? " (" + std::to_string(u.revoked_devices()) +
                                                                          " revoked)" : std::string()) << "\n";
  }
  return 0;
}

int audit_verify(const po::variables_map& vm) {
  const auto key = from_hex(opt(vm, "relay-key"));
  if (!key || key->size() != 32) usage_error("--relay-key: 64 hex digits (logged by the relay at start)");
  const auto report = must(server::verify_audit_database(opt(vm, "db"), *key), "audit log BROKEN");
  std::cout << "audit log intact: " << report.entries << " entries, " << report.checkpoints
            << " signed checkpoints, signed through entry " << report.last_checkpointed_seq << "\n";
  if (report.last_checkpointed_seq < report.entries) {
    std::cout << "entries after " << report.last_checkpointed_seq << " are chained but not yet signed\n";
  }
  return 0;
}

void print_validity(const v1::Validity& v) {
  std::cout << "  valid " << v.not_before() << " .. " << v.not_after() << " (Unix seconds)\n";
}

int show(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure{1, "cannot open '" + path + "'"};
  std::stringstream data;
  data << in.rdbuf();
  const std::string bytes = data.str();
  auto show_agency = [](const v1::Signed& s) {
    v1::AgencyCertificate a;
    must(identity::parse_canonical(as_bytes(s.body()), a, "agency certificate"), "agency");
    std::cout << "agency " << a.agency_id() << ": " << a.name_th() << " / " << a.name_en() << ", up to "
              << identity::label_both(static_cast<identity::Clearance>(a.max_clearance())) << "\n";
    print_validity(a.validity());
  };
  auto show_admin = [](const v1::Signed& s) {
    v1::AdminCertificate a;
    must(identity::parse_canonical(as_bytes(s.body()), a, "administrator certificate"), "administrator");
    std::cout << "administrator " << a.agency_id() << "/" << a.admin_id() << ": " << a.name_th() << " / " << a.name_en()
              << ", roles";
    for (int r : a.roles()) std::cout << " " << v1::Role_Name(r);
    std::cout << "\n";
    print_validity(a.validity());
  };
  auto show_user = [](const v1::Signed& s) {
    v1::UserCertificate u;
    must(identity::parse_canonical(as_bytes(s.body()), u, "user certificate"), "user");
    std::cout << "user " << u.agency_id() << "/" << u.user_id() << ": " << u.name_th() << " / " << u.name_en() << ", "
              << identity::label_both(static_cast<identity::Clearance>(u.clearance())) << ", signed by " << u.admin_id()
              << ", serial " << u.serial() << "\n";
    print_validity(u.validity());
  };
  v1::AdminChain admin_chain;
  v1::Chain chain;
  v1::Signed single;
  if (chain.ParseFromString(bytes) && chain.has_device()) {
    show_agency(chain.agency());
    show_admin(chain.admin());
    show_user(chain.user());
  } else if (admin_chain.ParseFromString(bytes) && admin_chain.has_admin()) {
    show_agency(admin_chain.agency());
    show_admin(admin_chain.admin());
  } else if (single.ParseFromString(bytes) && !single.body().empty()) {
    v1::AgencyCertificate a;
    if (identity::parse_canonical(as_bytes(single.body()), a, "x").ok() && !a.agency_key().empty()) show_agency(single);
    else show_user(single);
  } else {
    throw Failure{1, "'" + path + "' is not a certificate or chain"};
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "gchat-admin: libsodium failed to initialise\n";
    return 1;
  }
  po::options_description opts;
  // clang-format off
  opts.add_options()
    ("help,h", "")
    ("key-out", po::value<std::string>(), "") ("cert-out", po::value<std::string>(), "")
    ("chain-out", po::value<std::string>(), "") ("kdf", po::value<std::string>(), "")
    ("root-key", po::value<std::string>(), "") ("agency-key", po::value<std::string>(), "")
    ("agency-cert", po::value<std::string>(), "") ("admin-key", po::value<std::string>(), "")
    ("admin-chain", po::value<std::string>(), "") ("id", po::value<std::string>(), "")
    ("name-th", po::value<std::string>(), "") ("name-en", po::value<std::string>(), "")
    ("max-clearance", po::value<std::string>(), "") ("clearance", po::value<std::string>(), "")
    ("roles", po::value<std::string>(), "") ("rights", po::value<std::string>(), "")
    ("identity-key", po::value<std::string>(), "") ("device-key", po::value<std::string>(), "")
    ("user", po::value<std::string>(), "") ("days", po::value<long>(), "")
    ("port", po::value<long>(), "") ("relay", po::value<std::string>(), "") ("ca", po::value<std::string>(), "") ("code-days", po::value<long>(), "")
    ("db", po::value<std::string>(), "") ("relay-key", po::value<std::string>(), "")
    ("title", po::value<std::string>(), "") ("publishers", po::value<std::string>(), "")
    ("agencies", po::value<std::string>(), "") ("channel", po::value<std::string>(), "")
    ("passphrase-file", po::value<std::string>(), "") ("new-passphrase-file", po::value<std::string>(), "")
    ("words", po::value<std::vector<std::string>>(), "");
  // clang-format on
  po::positional_options_description positional;
  positional.add("words", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
    const auto words = vm.count("words") ? vm["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (vm.count("help") || words.empty()) {
      std::cout << kUsage;
      return words.empty() && !vm.count("help") ? 2 : 0;
    }
    const std::string command = words[0] + (words.size() > 1 ? " " + words[1] : "");
    if (command == "root init") return root_init(vm);
    if (command == "agency create") return agency_create(vm);
    if (command == "admin create") return admin_create(vm);
    if (command == "user issue") return user_issue(vm);
    if (command == "enrol grant") return enrol_grant(vm);
    if (command == "enrol complete") return enrol_complete(vm);
    if (command == "clearance set") return clearance_set(vm);
    if (command == "revoke device") return revoke(vm, "device");
    if (command == "revoke user") return revoke(vm, "user");
    if (command == "audit verify") return audit_verify(vm);
    if (command == "list users") return list_users(vm);
    if (command == "channel create") return channel_create(vm);
    if (command == "channel subscribe-agency") return channel_subscribe_agency(vm);
    if (words[0] == "show" && words.size() == 2) return show(words[1]);
    usage_error("unknown command '" + command + "' (gchat-admin --help lists them)");
  } catch (const Failure& f) {
    std::cerr << "gchat-admin: " << f.message << "\n";
    return f.code;
  } catch (const po::error& e) {
    std::cerr << "gchat-admin: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gchat-admin: " << e.what() << "\n";
    return 1;
  }
}
