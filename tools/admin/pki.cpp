// The offline part of the PKI: the root, agencies and administrators (created and renewed in the
// yearly ceremony), user certificates signed by hand, and `show`.
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include "commands.hpp"

namespace gchat::tools::admin {

namespace {

// --roles: user-admin, clearance-officer, channel-admin, or renewal alone (the issuing service's
// key stays online, so it must be able to renew and nothing else).
std::vector<v1::Role> roles_option(const po::variables_map& vm) {
  static const std::map<std::string, v1::Role> kNames = {{"user-admin", v1::USER_ADMIN},
                                                         {"clearance-officer", v1::CLEARANCE_OFFICER},
                                                         {"channel-admin", v1::CHANNEL_ADMIN},
                                                         {"renewal", v1::RENEWAL}};
  std::vector<v1::Role> roles;
  for (const auto& r : split(opt(vm, "roles"))) {
    const auto found = kNames.find(r);
    if (found == kNames.end()) {
      usage_error(
          "--roles: user-admin, clearance-officer, channel-admin (comma-separated), or renewal, not '" + r +
          "'");
    }
    roles.push_back(found->second);
  }
  if (roles.empty()) usage_error("--roles: at least one role");
  if (std::find(roles.begin(), roles.end(), v1::RENEWAL) != roles.end() && roles.size() > 1) {
    usage_error(
        "--roles: renewal stands alone (the issuing service's key is online; a key that can do more than "
        "renew would defeat the point)");
  }
  return roles;
}

// Checks that `key` signed `certificate` (what it is about to re-sign): the ceremony must use the
// key that issued the certificate being renewed.
void must_have_signed(identity::SignedKind kind, const v1::Signed& certificate,
                      const identity::SigningKey& key, const std::string& key_what,
                      const std::string& cert_what) {
  if (!identity::verify_signature(kind, as_bytes(certificate.body()), as_bytes(certificate.signature()),
                                  key.public_key())
           .ok()) {
    throw Failure{
        1, "the " + key_what + " did not sign " + cert_what + "; renew it with the key that signed it"};
  }
}

std::uint64_t serial_unlike(std::uint64_t old_serial) {
  std::uint64_t serial = new_serial();
  while (serial == old_serial) serial = new_serial();
  return serial;
}

// --new-key-out FILE: a fresh key for the renewed certificate (the file is written once the
// certificate is made; refused up front if it exists). None: the certificate keeps its key.
std::optional<identity::SigningKey> new_key_if_asked(const po::variables_map& vm) {
  if (!vm.count("new-key-out")) return std::nullopt;
  must_not_exist(opt(vm, "new-key-out"));
  return identity::SigningKey::generate();
}

void print_validity(const v1::Validity& v) {
  std::cout << "  valid " << date_of(v.not_before()) << " .. " << date_of(v.not_after()) << " UTC ("
            << v.not_before() << " .. " << v.not_after() << " Unix seconds)\n";
}

// The warning line `show` prints for a certificate expiring within 30 days (or expired).
void warn_expiry(const v1::Validity& v, const std::string& what, const std::string& remedy) {
  const std::int64_t t = now();
  if (v.not_after() - t > kWarnSeconds) return;
  std::cout << "warning: " << what << (v.not_after() <= t ? " expired on " : " expires on ")
            << date_of(v.not_after())
            << (v.not_after() <= t ? std::string() : " (" + days_left_text(v.not_after(), t) + ")") << "; "
            << remedy << "\n";
}

}  // namespace

int root_init(const po::variables_map& vm) {
  const std::string kdf = vm.count("kdf") ? vm["kdf"].as<std::string>() : "sensitive";
  if (kdf != "moderate" && kdf != "sensitive") usage_error("--kdf: moderate or sensitive");
  auto key = identity::SigningKey::generate();
  new_key_file(vm, "key-out", "root", key,
               kdf == "sensitive" ? identity::sensitive_cost() : identity::moderate_cost());
  std::cout << "root public key (pin it as root-key in every relay and client):\n"
            << to_hex(key.public_key()) << "\n";
  return 0;
}

int agency_create(const po::variables_map& vm) {
  const auto root = signing_key(vm, "root-key", "root");
  auto agency_key = identity::SigningKey::generate();
  v1::AgencyCertificate body;
  body.set_serial(new_serial());
  body.set_agency_id(checked_id(vm));
  body.set_name_th(opt(vm, "name-th"));
  body.set_name_en(opt(vm, "name-en"));
  body.set_agency_key(key_string(agency_key.public_key()));
  body.set_max_clearance(static_cast<v1::Clearance>(clearance_option(vm, "max-clearance")));
  set_validity(body.mutable_validity(), vm, 365);
  const auto cert = identity::make_signed(identity::SignedKind::agency_certificate, body, root);
  must(identity::verify_agency(cert, identity::TrustAnchor{root.public_key(), now(), nullptr}),
       "checking the certificate");
  new_key_file(vm, "key-out", "agency", agency_key);
  write_message(opt(vm, "cert-out"), cert);
  std::cout << "agency " << body.agency_id() << " (" << body.name_th() << " / " << body.name_en()
            << "), may grant up to "
            << identity::label_both(static_cast<identity::Clearance>(body.max_clearance())) << "\n";
  return 0;
}

// The yearly ceremony, step 1: the root re-signs the agency certificate (same agency, names and
// cap; the same key unless --new-key-out), valid from now, so it overlaps the old one and chains
// through either verify until the old one expires.
int agency_renew(const po::variables_map& vm) {
  const std::string cert_path = opt(vm, "cert");
  const std::string out_path = opt(vm, "cert-out");
  must_not_exist(out_path);
  const auto new_key = new_key_if_asked(vm);
  const auto old_cert = read_message<v1::Signed>(cert_path);
  v1::AgencyCertificate body;
  must(identity::parse_canonical(as_bytes(old_cert.body()), body, "agency certificate"),
       "reading " + cert_path);
  const auto root = signing_key(vm, "root-key", "root");
  must_have_signed(identity::SignedKind::agency_certificate, old_cert, root,
                   "root key in '" + opt(vm, "root-key") + "'",
                   "the certificate of agency '" + body.agency_id() + "' in '" + cert_path + "'");
  if (new_key) body.set_agency_key(key_string(new_key->public_key()));
  body.set_serial(serial_unlike(body.serial()));
  set_validity(body.mutable_validity(), vm, 365);
  const auto cert = identity::make_signed(identity::SignedKind::agency_certificate, body, root);
  must(identity::verify_agency(cert, identity::TrustAnchor{root.public_key(), now(), nullptr}),
       "checking the certificate");
  if (new_key) new_key_file(vm, "new-key-out", "agency", *new_key);
  write_message(out_path, cert);
  std::cout << "agency " << body.agency_id() << " renewed: serial " << body.serial() << ", valid until "
            << date_of(body.validity().not_after()) << ", "
            << (new_key ? "new key in " + opt(vm, "new-key-out") : std::string("same key")) << "\n"
            << "next: renew each administrator of " << body.agency_id() << " under " << out_path
            << " (gchat-admin admin renew)"
            << (new_key ? "; their old chains stop at the old certificate's expiry" : "") << "\n";
  return 0;
}

int admin_create(const po::variables_map& vm) {
  const auto roles = roles_option(vm);
  const auto agency_key = signing_key(vm, "agency-key", "agency");
  const auto agency_cert = read_message<v1::Signed>(opt(vm, "agency-cert"));
  v1::AgencyCertificate agency;
  must(identity::parse_canonical(as_bytes(agency_cert.body()), agency, "agency certificate"),
       "reading the agency certificate");
  if (agency.agency_key() != key_string(agency_key.public_key())) {
    throw Failure{1, "the agency key does not belong to the agency certificate"};
  }
  auto admin_key = identity::SigningKey::generate();
  v1::AdminCertificate body;
  body.set_serial(new_serial());
  body.set_admin_id(checked_id(vm));
  body.set_agency_id(agency.agency_id());
  body.set_name_th(opt(vm, "name-th"));
  body.set_name_en(opt(vm, "name-en"));
  body.set_admin_key(key_string(admin_key.public_key()));
  for (auto r : roles) body.add_roles(r);
  set_validity(body.mutable_validity(), vm, 365);
  v1::AdminChain chain;
  *chain.mutable_agency() = agency_cert;
  *chain.mutable_admin() = identity::make_signed(identity::SignedKind::admin_certificate, body, agency_key);
  new_key_file(vm, "key-out", "admin", admin_key);
  write_message(opt(vm, "chain-out"), chain);
  std::cout << "administrator " << agency.agency_id() << "/" << body.admin_id() << "\n";
  return 0;
}

// The yearly ceremony, step 2: the agency re-signs an administrator's certificate under its
// (renewed) agency certificate: same administrator, names and roles, the same key unless
// --new-key-out.
int admin_renew(const po::variables_map& vm) {
  const std::string chain_path = opt(vm, "chain");
  const std::string agency_path = opt(vm, "agency-cert");
  const std::string out_path = opt(vm, "chain-out");
  must_not_exist(out_path);
  const auto new_key = new_key_if_asked(vm);
  const auto agency_cert = read_message<v1::Signed>(agency_path);
  v1::AgencyCertificate agency;
  must(identity::parse_canonical(as_bytes(agency_cert.body()), agency, "agency certificate"),
       "reading " + agency_path);
  const auto old_chain = read_message<v1::AdminChain>(chain_path);
  v1::AgencyCertificate old_agency;
  must(identity::parse_canonical(as_bytes(old_chain.agency().body()), old_agency, "agency certificate"),
       "reading " + chain_path);
  v1::AdminCertificate body;
  must(identity::parse_canonical(as_bytes(old_chain.admin().body()), body, "administrator certificate"),
       "reading " + chain_path);
  if (body.agency_id() != agency.agency_id() || old_agency.agency_id() != agency.agency_id()) {
    throw Failure{1, "the administrator chain in '" + chain_path + "' is of agency '" + body.agency_id() +
                         "', the agency certificate in '" + agency_path + "' of '" + agency.agency_id() +
                         "'"};
  }
  // The chain being renewed must hold together: its administrator certificate signed by its agency.
  if (!identity::verify_signature(identity::SignedKind::admin_certificate, as_bytes(old_chain.admin().body()),
                                  as_bytes(old_chain.admin().signature()), as_bytes(old_agency.agency_key()))
           .ok()) {
    throw Failure{1, "the administrator chain in '" + chain_path +
                         "' does not verify: its certificate is not signed by "
                         "the key of its agency certificate"};
  }
  const auto agency_key = signing_key(vm, "agency-key", "agency");
  if (agency.agency_key() != key_string(agency_key.public_key())) {
    throw Failure{1, "the agency key in '" + opt(vm, "agency-key") +
                         "' does not belong to the agency certificate in '" + agency_path +
                         "'; renew with the key of that certificate"};
  }
  if (new_key) body.set_admin_key(key_string(new_key->public_key()));
  body.set_serial(serial_unlike(body.serial()));
  set_validity(body.mutable_validity(), vm, 365);
  v1::AdminChain chain;
  *chain.mutable_agency() = agency_cert;
  *chain.mutable_admin() = identity::make_signed(identity::SignedKind::admin_certificate, body, agency_key);
  if (new_key) new_key_file(vm, "new-key-out", "admin", *new_key);
  write_message(out_path, chain);
  warn_expiry(agency.validity(), "the agency certificate in '" + agency_path + "'",
              "the renewed chain stops working then: renew the agency first (gchat-admin agency renew)");
  std::cout << "administrator " << body.agency_id() << "/" << body.admin_id() << " renewed: serial "
            << body.serial() << ", valid until "
            << date_of(std::min(body.validity().not_after(), agency.validity().not_after())) << ", "
            << (new_key ? "new key in " + opt(vm, "new-key-out") : std::string("same key")) << "\n";
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
  write_message(opt(vm, "cert-out"),
                identity::make_signed(identity::SignedKind::user_certificate, body, admin_key));
  std::cout << "user " << body.agency_id() << "/" << body.user_id() << " cleared "
            << identity::label_both(static_cast<identity::Clearance>(body.clearance())) << "\n";
  return 0;
}

void print_user_certificate(const v1::Signed& s) {
  v1::UserCertificate u;
  must(identity::parse_canonical(as_bytes(s.body()), u, "user certificate"), "user");
  std::cout << "user " << u.agency_id() << "/" << u.user_id() << ": " << u.name_th() << " / " << u.name_en()
            << ", " << identity::label_both(static_cast<identity::Clearance>(u.clearance())) << ", signed by "
            << u.admin_id() << ", serial " << u.serial() << "\n";
  print_validity(u.validity());
  if (u.has_basis()) {
    v1::UserCertificate basis;
    if (identity::parse_canonical(as_bytes(u.basis().body()), basis, "basis").ok()) {
      std::cout << "  a renewal of serial " << basis.serial() << " (signed by " << basis.admin_id()
                << ", valid until " << date_of(basis.validity().not_after()) << ")\n";
    }
  }
  warn_expiry(u.validity(), "the certificate of " + u.agency_id() + "/" + u.user_id(),
              "the agency's issuing service renews it (gchat-admin serve)");
}

int show(const po::variables_map& vm, const std::string& path) {
  const Bytes data = read_file_bytes(path);
  const std::string bytes(data.begin(), data.end());
  auto show_agency = [](const v1::Signed& s) {
    v1::AgencyCertificate a;
    must(identity::parse_canonical(as_bytes(s.body()), a, "agency certificate"), "agency");
    std::cout << "agency " << a.agency_id() << ": " << a.name_th() << " / " << a.name_en() << ", up to "
              << identity::label_both(static_cast<identity::Clearance>(a.max_clearance())) << ", serial "
              << a.serial() << "\n";
    print_validity(a.validity());
    warn_expiry(a.validity(), "the certificate of agency " + a.agency_id(),
                "renew it with the root (gchat-admin agency renew), then its administrators (gchat-admin "
                "admin renew)");
  };
  auto show_admin = [](const v1::Signed& s) {
    v1::AdminCertificate a;
    must(identity::parse_canonical(as_bytes(s.body()), a, "administrator certificate"), "administrator");
    std::cout << "administrator " << a.agency_id() << "/" << a.admin_id() << ": " << a.name_th() << " / "
              << a.name_en() << ", roles";
    for (int r : a.roles()) std::cout << " " << v1::Role_Name(r);
    std::cout << ", serial " << a.serial() << "\n";
    print_validity(a.validity());
    warn_expiry(a.validity(), "the certificate of administrator " + a.agency_id() + "/" + a.admin_id(),
                "renew it (gchat-admin admin renew)");
  };
  // --verify-root HEX: the chain checked to that root now, as a relay pinning it would.
  std::optional<identity::TrustAnchor> anchor;
  if (vm.count("verify-root")) {
    auto root = from_hex(opt(vm, "verify-root"));
    if (!root || root->size() != identity::kPublicKeySize)
      usage_error("--verify-root: 64 hex digits (the pinned root key)");
    anchor = identity::TrustAnchor{*root, now(), nullptr};
  }
  auto verified = [&](const Status& s) {
    if (!anchor) return;
    must(s, "'" + path + "' does not verify to the root " + to_hex(anchor->root_key).substr(0, 16) + "…");
    std::cout << "verifies to the root " << to_hex(anchor->root_key).substr(0, 16) << "… now\n";
  };
  auto as_status = [](const auto& result) -> Status {
    if (!result.ok()) return fail(result.error());
    return {};
  };
  v1::AdminChain admin_chain;
  v1::Chain chain;
  v1::Signed single;
  if (chain.ParseFromString(bytes) && chain.has_device()) {
    show_agency(chain.agency());
    show_admin(chain.admin());
    print_user_certificate(chain.user());
    if (anchor) verified(as_status(identity::verify_chain(chain, *anchor)));
  } else if (admin_chain.ParseFromString(bytes) && admin_chain.has_admin()) {
    show_agency(admin_chain.agency());
    show_admin(admin_chain.admin());
    if (anchor) verified(as_status(identity::verify_admin(admin_chain, *anchor)));
  } else if (single.ParseFromString(bytes) && !single.body().empty()) {
    v1::AgencyCertificate a;
    if (identity::parse_canonical(as_bytes(single.body()), a, "x").ok() && !a.agency_key().empty()) {
      show_agency(single);
      if (anchor) verified(as_status(identity::verify_agency(single, *anchor)));
    } else {
      print_user_certificate(single);
      if (anchor)
        throw Failure{
            1, "a user certificate alone cannot be checked to the root (its signer's chain is not in it)"};
    }
  } else {
    throw Failure{1, "'" + path + "' is not a certificate or chain"};
  }
  return 0;
}

}  // namespace gchat::tools::admin
