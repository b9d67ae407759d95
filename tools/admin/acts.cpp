// An administrator's acts on the relay: enrolment, clearance, revocation, the agency's people,
// channels; and the verification of a relay's audit log.
#include <sodium.h>

#include <iostream>

#include "commands.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/enrolment.hpp"
#include "gchat/server/audit_log.hpp"

namespace gchat::tools::admin {

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
  const long code_days = number_option(vm, "code-days", 7, 1, 30);
  grant->set_expires_at(now() + code_days * kDay);
  const std::string code = identity::new_enrolment_code();
  const Bytes hash = identity::enrolment_code_hash(*identity::normalized_enrolment_code(code));
  grant->set_code_hash(key_string(hash));
  submit_act(vm, admin_key, chain, act);
  std::cout << "enrolment code for " << t->agency_id() << "/" << t->user_id() << " (valid " << code_days
            << " days, once):\n"
            << code << "\n";
  return 0;
}

int enrol_complete(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  auto relay = RelayConnection::open(vm);
  v1::AdminAct list;
  list.mutable_list_enrolments();
  const auto pending = relay.must_submit(admin_key, chain, list);
  int issued = 0;
  for (const auto& p : pending.enrolments()) {
    v1::UserCertificate body = p.template_();
    if (body.admin_id() != admin.admin_id) continue;  // each administrator signs what they granted
    body.set_serial(new_serial());
    body.set_identity_key(p.identity_key());
    set_validity(body.mutable_validity(), vm, 90);
    must(identity::check_user_issuable(admin, body), "refused " + body.user_id());
    v1::AdminAct act;
    *act.mutable_issue_user() =
        identity::make_signed(identity::SignedKind::user_certificate, body, admin_key);
    relay.must_submit(admin_key, chain, act);
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
  const auto level = clearance_option(vm, "clearance");
  if (!admin.has(v1::USER_ADMIN)) {
    // What check_user_issuable says below after a round trip to the relay; said before it.
    const Error e{
        Errc::cert_role_missing,
        "administrator '" + admin.admin_id + "' (roles " + roles_text(admin) +
            ") may not change clearances: that takes USER_ADMIN (and CLEARANCE_OFFICER above ทั่วไป)"};
    throw Failure{1, "refused: " + e.to_string()};
  }
  auto relay = RelayConnection::open(vm);
  v1::AdminAct query;
  *query.mutable_get_user() = user_option(vm);
  const auto current = relay.must_submit(admin_key, chain, query);
  v1::UserCertificate body;
  must(identity::parse_canonical(as_bytes(current.user_certificate().body()), body, "user certificate"),
       "reading the current certificate");
  const auto before = static_cast<identity::Clearance>(body.clearance());
  // A new certificate by this officer: it stands on its own, whatever renewed the current one.
  body.clear_basis();
  body.clear_basis_issuer();
  body.set_clearance(static_cast<v1::Clearance>(level));
  body.set_serial(new_serial());
  body.set_admin_id(admin.admin_id);
  set_validity(body.mutable_validity(), vm, 90);
  must(identity::check_user_issuable(admin, body), "refused");
  v1::AdminAct act;
  *act.mutable_set_clearance() =
      identity::make_signed(identity::SignedKind::user_certificate, body, admin_key);
  const auto reply = relay.must_submit(admin_key, chain, act);
  std::cout << user << ": " << identity::label_both(before) << " -> " << identity::label_both(level)
            << "; audit entry " << reply.audit_seq() << "\n";
  return 0;
}

// A person's current certificate as the relay holds it, with its signer; --cert-out keeps a copy.
int user_get(const po::variables_map& vm) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  v1::AdminAct query;
  *query.mutable_get_user() = user_option(vm);
  const auto reply = submit_act(vm, admin_key, chain, query);
  print_user_certificate(reply.user_certificate());
  if (reply.has_user_issuer()) {
    v1::AdminCertificate signer;
    if (identity::parse_canonical(as_bytes(reply.user_issuer().admin().body()), signer, "x").ok()) {
      std::cout << "  signer " << signer.agency_id() << "/" << signer.admin_id() << ", roles";
      for (int r : signer.roles()) std::cout << " " << v1::Role_Name(r);
      std::cout << "\n";
    }
  }
  if (vm.count("cert-out")) write_message(opt(vm, "cert-out"), reply.user_certificate());
  return 0;
}

// list users: everyone, with their certificate's expiry, marking those expiring within 30 days and
// the revoked; list expiring: only those not revoked whose certificate expires within the window.
int list_users(const po::variables_map& vm, bool expiring_only) {
  const auto [admin_key, chain, admin] = admin_identity(vm);
  const std::int64_t window = (expiring_only ? number_option(vm, "within-days", 30, 1, 3650) : 30) * kDay;
  v1::AdminAct act;
  act.mutable_list_users();
  const auto reply = submit_act(vm, admin_key, chain, act);
  const std::int64_t t = now();
  auto due = [&](const v1::UserSummary& u) {
    return !u.revoked() && u.not_after() != 0 && u.not_after() - t <= window;
  };
  int unknown = 0, listed = 0;
  for (const auto& u : reply.users()) {
    if (u.not_after() == 0) ++unknown;
    if (due(u)) ++listed;
  }
  if (expiring_only) {
    std::cout << "agency " << admin.agency.agency_id << ": " << listed << " of " << reply.users_size()
              << " people expire within " << window / kDay << " days\n";
  } else {
    std::cout << "agency " << admin.agency.agency_id << ": " << reply.users_size() << " people\n";
  }
  for (const auto& u : reply.users()) {
    if (expiring_only && !due(u)) continue;
    std::cout << "  " << u.user_id() << "  "
              << identity::label_both(static_cast<identity::Clearance>(u.clearance()));
    if (!expiring_only) {
      std::cout << "  devices " << u.devices()
                << (u.revoked_devices() ? " (" + std::to_string(u.revoked_devices()) + " revoked)"
                                        : std::string());
    }
    std::cout << "  " << expiry_text(u.not_after(), t, window)
              << (due(u) && !expiring_only ? "  EXPIRING" : "") << (u.revoked() ? "  REVOKED" : "") << "\n";
  }
  if (unknown > 0) {
    std::cout << "note: the relay does not say when " << unknown
              << " of these certificates expire (an older relay)\n";
  }
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
    for (const auto& p : split(vm["publishers"].as<std::string>()))
      *d.add_publishers() = user_ref(p, "publishers");
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
            << identity::label_both(static_cast<identity::Clearance>(d.level())) << "; audit entry "
            << reply.audit_seq() << "\n";
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

}  // namespace gchat::tools::admin
