// Certificate mode on the real relay: devices authenticate with chains to the pinned root,
// administrators revoke devices and users with signed acts (role and agency checked), revoked
// devices are cut off and stay out, the relay publishes a signed revocation list, and the audit log
// verifies until someone edits it.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <ctime>

#include "gchat/identity/enrolment.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/server/audit_log.hpp"
#include "government.hpp"

using namespace gchat;
using namespace gchat::testing;
namespace v1 = gchat::identity::v1;
using identity::Clearance;

namespace {

v1::AdminAct revoke_device(const TestDevice& d) {
  v1::AdminAct act;
  act.set_revoke_device(d.body.device_key());
  return act;
}

}  // namespace

TEST_CASE("a device with a valid chain authenticates and learns the relay's key") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::secret);
  auto device = gov.pki.device(gov.moi_admin, user);
  auto c = gov.connect_as(device);
  auto ok = c->authenticate();
  REQUIRE(ok.has_auth_ok());
  CHECK(ok.auth_ok().newly_registered());
  CHECK(ok.auth_ok().relay_key().size() == 32);
}

TEST_CASE("chains that do not verify are refused with the reason, before any challenge") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::secret);
  auto device = gov.pki.device(gov.moi_admin, user);

  SUBCASE("no chain at all") {
    auto c = gov.connect();
    c->set_key(device_key_of(device.key));
    auto r = c->authenticate();
    REQUIRE(r.has_error());
    CHECK(r.error().code() == pb::CERTIFICATE_REJECTED);
  }
  SUBCASE("a chain to another government root") {
    TestPki foreign;
    auto agency = foreign.agency("moi");
    auto admin = foreign.admin(agency, "admin1");
    auto u = foreign.user(admin, "somchai", Clearance::secret);
    auto d = foreign.device(admin, u);
    auto r = gov.connect_as(d)->authenticate();
    REQUIRE(r.has_error());
    CHECK(r.error().code() == pb::CERTIFICATE_REJECTED);
    CHECK(r.error().message().find("pinned government root") != std::string::npos);
  }
  SUBCASE("a valid chain presented with another device key") {
    auto c = gov.connect();
    c->set_chain(device.chain_bytes());  // the client keeps its own random key
    auto r = c->authenticate();
    REQUIRE(r.has_error());
    CHECK(r.error().code() == pb::CERTIFICATE_REJECTED);
  }
  SUBCASE("a clearance above the agency's cap") {
    auto ace = gov.pki.user(gov.moi_admin, "ace", Clearance::top_secret);  // moi may grant up to Secret
    auto r = gov.connect_as(gov.pki.device(gov.moi_admin, ace))->authenticate();
    REQUIRE(r.has_error());
    CHECK(r.error().code() == pb::CERTIFICATE_REJECTED);
    CHECK(r.error().message().find("cert_clearance_above_cap") != std::string::npos);
  }
}

TEST_CASE("a revoked device is cut off, cannot authenticate again, and is on the signed revocation list") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::secret);
  auto laptop = gov.pki.device(gov.moi_admin, user, "laptop");
  auto phone = gov.pki.device(gov.moi_admin, user, "phone");
  auto online = gov.connect_as(laptop);
  auto ok = online->authenticate();
  REQUIRE(ok.has_auth_ok());
  const std::string relay_key = ok.auth_ok().relay_key();
  REQUIRE(gov.connect_as(phone)->authenticate().has_auth_ok());

  auto admin = gov.connect();
  auto r = gov.submit(*admin, gov.moi_admin, revoke_device(laptop));
  REQUIRE(r.has_admin_act_ok());
  CHECK(r.admin_act_ok().revocation_list_number() == 1);

  // The live connection is told and closed.
  auto notice = online->next_push();
  REQUIRE(notice.has_value());
  REQUIRE(notice->has_notice());
  CHECK(notice->notice().reason().code() == pb::REVOKED);
  CHECK(online->wait_closed());

  auto again = gov.connect_as(laptop)->authenticate();
  REQUIRE(again.has_error());
  CHECK(again.error().code() == pb::REVOKED);
  // The user's other device is untouched.
  CHECK(gov.connect_as(phone)->authenticate().has_auth_ok());

  pb::ClientFrame fetch;
  fetch.mutable_fetch_revocations();
  auto list_frame = gov.connect()->request(fetch);
  REQUIRE(list_frame.has_revocations());
  CHECK(list_frame.revocations().relay_key() == relay_key);
  auto list = identity::open_signed<v1::RevocationList>(identity::SignedKind::revocation_list,
                                                        list_frame.revocations().list(), as_bytes(relay_key), "list");
  REQUIRE(list.ok());
  CHECK(list->number() == 1);
  REQUIRE(list->device_keys_size() == 1);
  CHECK(list->device_keys(0) == laptop.body.device_key());

  // Still true after a restart: the list is durable.
  gov.relay.restart();
  auto after = gov.connect_as(laptop)->authenticate();
  REQUIRE(after.has_error());
  CHECK(after.error().code() == pb::REVOKED);
}

TEST_CASE("revoking a user cuts off all of the user's devices") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::secret);
  auto laptop = gov.pki.device(gov.moi_admin, user, "laptop");
  auto phone = gov.pki.device(gov.moi_admin, user, "phone");
  REQUIRE(gov.connect_as(laptop)->authenticate().has_auth_ok());
  REQUIRE(gov.connect_as(phone)->authenticate().has_auth_ok());
  v1::AdminAct act;
  act.mutable_revoke_user()->set_agency_id("moi");
  act.mutable_revoke_user()->set_user_id("somchai");
  REQUIRE(gov.submit(*gov.connect(), gov.moi_admin, act).has_admin_act_ok());
  for (const auto* d : {&laptop, &phone}) {
    auto r = gov.connect_as(*d)->authenticate();
    REQUIRE(r.has_error());
    CHECK(r.error().code() == pb::REVOKED);
  }
}

TEST_CASE("administrators act only within their agency and role, once per act") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::secret);
  auto laptop = gov.pki.device(gov.moi_admin, user);
  REQUIRE(gov.connect_as(laptop)->authenticate().has_auth_ok());
  auto c = gov.connect();

  auto foreign = gov.submit(*c, gov.mof_admin, revoke_device(laptop));
  REQUIRE(foreign.has_error());
  CHECK(foreign.error().code() == pb::FORBIDDEN);

  auto no_role = gov.submit(*c, gov.moi_officer, revoke_device(laptop));
  REQUIRE(no_role.has_error());
  CHECK(no_role.error().code() == pb::FORBIDDEN);

  v1::AdminAct foreign_user;
  foreign_user.mutable_revoke_user()->set_agency_id("moi");
  foreign_user.mutable_revoke_user()->set_user_id("somchai");
  auto cross = gov.submit(*c, gov.mof_admin, foreign_user);
  REQUIRE(cross.has_error());
  CHECK(cross.error().code() == pb::FORBIDDEN);

  // An act signed by someone other than the certified administrator.
  auto forged_admin = gov.moi_admin.chain;
  pb::ClientFrame forged;
  *forged.mutable_submit_admin_act()->mutable_admin() = forged_admin;
  v1::AdminAct act = revoke_device(laptop);
  act.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
  act.set_nonce(7);
  *forged.mutable_submit_admin_act()->mutable_act() =
      identity::make_signed(identity::SignedKind::admin_act, act, identity::SigningKey::generate());
  auto bad_sig = c->request(forged);
  REQUIRE(bad_sig.has_error());
  CHECK(bad_sig.error().code() == pb::CERTIFICATE_REJECTED);

  // A stale act.
  v1::AdminAct stale = revoke_device(laptop);
  stale.set_nonce(8);
  pb::ClientFrame old_frame;
  stale.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)) - 3600);
  *old_frame.mutable_submit_admin_act()->mutable_admin() = gov.moi_admin.chain;
  *old_frame.mutable_submit_admin_act()->mutable_act() =
      identity::make_signed(identity::SignedKind::admin_act, stale, gov.moi_admin.key);
  auto stale_r = c->request(old_frame);
  REQUIRE(stale_r.has_error());
  CHECK(stale_r.error().code() == pb::INVALID_ARGUMENT);

  // The real one works once; the same signed act again is a replay.
  pb::ClientFrame frame;
  act.set_nonce(9);
  *frame.mutable_submit_admin_act()->mutable_admin() = gov.moi_admin.chain;
  *frame.mutable_submit_admin_act()->mutable_act() =
      identity::make_signed(identity::SignedKind::admin_act, act, gov.moi_admin.key);
  REQUIRE(c->request(frame).has_admin_act_ok());
  auto replay = c->request(frame);
  REQUIRE(replay.has_error());
  CHECK(replay.error().code() == pb::REPLAYED);
}

TEST_CASE("the audit log records registrations and acts, verifies, and fails once edited") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::secret);
  auto laptop = gov.pki.device(gov.moi_admin, user);
  auto ok = gov.connect_as(laptop)->authenticate();
  REQUIRE(ok.has_auth_ok());
  const std::string relay_key = ok.auth_ok().relay_key();
  REQUIRE(gov.submit(*gov.connect(), gov.moi_admin, revoke_device(laptop)).has_admin_act_ok());
  REQUIRE(gov.relay.stop() == 0);

  auto report = server::verify_audit_database(gov.relay.db_file(), as_bytes(relay_key));
  REQUIRE(report.ok());
  CHECK(report->entries == 2);
  CHECK(report->last_checkpointed_seq == 2);

  // Someone with access to the database rewrites who registered.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(gov.relay.db_file().c_str(), &db) == SQLITE_OK);
  v1::AuditEntry forged;
  forged.set_seq(1);
  forged.set_kind("device_registered");
  forged.set_actor("moi/someone-else");
  const std::string body = forged.SerializeAsString();
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "UPDATE audit_log SET entry = ? WHERE seq = 1", -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_blob(st, 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  CHECK(sqlite3_step(st) == SQLITE_DONE);
  sqlite3_finalize(st);
  auto edited = server::verify_audit_database(gov.relay.db_file(), as_bytes(relay_key));
  REQUIRE_FALSE(edited.ok());
  CHECK(edited.error().code == Errc::audit_broken);

  // Deleting the entry instead is caught as well.
  REQUIRE(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 1", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto deleted = server::verify_audit_database(gov.relay.db_file(), as_bytes(relay_key));
  REQUIRE_FALSE(deleted.ok());
  CHECK(deleted.error().code == Errc::audit_broken);
}

TEST_CASE("a new device enrols with a one-time code; its private key never leaves it") {
  Government gov;
  const std::string code = identity::new_enrolment_code();
  v1::AdminAct grant;
  auto* g = grant.mutable_grant_enrolment();
  g->set_code_hash(to_str(identity::enrolment_code_hash(*identity::normalized_enrolment_code(code))));
  g->set_expires_at(static_cast<std::int64_t>(std::time(nullptr)) + 3600);
  auto* t = g->mutable_template_();
  t->set_user_id("malee");
  t->set_agency_id("moi");
  t->set_name_th("มาลี");
  t->set_name_en("Malee");
  t->set_clearance(v1::CONFIDENTIAL);
  t->set_admin_id("admin1");
  auto c = gov.connect();
  REQUIRE(gov.submit(*c, gov.moi_admin, grant).has_admin_act_ok());

  // Granting beyond the agency's cap, or by an administrator without the role, is refused.
  v1::AdminAct too_high = grant;
  too_high.mutable_grant_enrolment()->mutable_template_()->set_clearance(v1::TOP_SECRET);
  too_high.mutable_grant_enrolment()->set_code_hash(std::string(32, 'h'));
  auto high = gov.submit(*c, gov.moi_admin, too_high);
  REQUIRE(high.has_error());
  CHECK(high.error().code() == pb::FORBIDDEN);

  // The device: a fresh identity key, the code (typed with spaces and in lower case).
  auto identity_key = identity::SigningKey::generate();
  auto device = gov.connect();
  std::string typed = code;
  for (auto& ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  pb::ClientFrame redeem;
  redeem.mutable_redeem_enrolment()->set_code(typed);
  redeem.mutable_redeem_enrolment()->set_identity_key(to_str(identity_key.public_key()));
  auto redeemed = device->request(redeem);
  REQUIRE_MESSAGE(redeemed.has_enrolment_status(), redeemed.DebugString());
  CHECK_FALSE(redeemed.enrolment_status().issued());

  // The code works once: another key cannot take it, unknown codes get nothing.
  pb::ClientFrame steal = redeem;
  steal.mutable_redeem_enrolment()->set_identity_key(std::string(32, 's'));
  auto stolen = gov.connect()->request(steal);
  REQUIRE(stolen.has_error());
  CHECK(stolen.error().code() == pb::REPLAYED);
  pb::ClientFrame unknown = redeem;
  unknown.mutable_redeem_enrolment()->set_code(identity::new_enrolment_code());
  auto nothing = gov.connect()->request(unknown);
  REQUIRE(nothing.has_error());
  CHECK(nothing.error().code() == pb::ENROLMENT_REFUSED);

  // The administrator sees the redeemed code and signs the certificate for the device's key.
  v1::AdminAct list;
  list.mutable_list_enrolments();
  auto pending = gov.submit(*c, gov.moi_admin, list);
  REQUIRE(pending.has_admin_act_ok());
  REQUIRE(pending.admin_act_ok().enrolments_size() == 1);
  const auto& p = pending.admin_act_ok().enrolments(0);
  CHECK(p.identity_key() == to_str(identity_key.public_key()));
  v1::UserCertificate body = p.template_();
  body.set_serial(99);
  body.set_identity_key(p.identity_key());
  body.mutable_validity()->set_not_before(gov.pki.from);
  body.mutable_validity()->set_not_after(gov.pki.to);
  // A certificate for another key does not complete the enrolment.
  v1::UserCertificate wrong = body;
  wrong.set_identity_key(std::string(32, 'w'));
  v1::AdminAct wrong_issue;
  *wrong_issue.mutable_issue_user() = identity::make_signed(identity::SignedKind::user_certificate, wrong, gov.moi_admin.key);
  auto refused = gov.submit(*c, gov.moi_admin, wrong_issue);
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == pb::ENROLMENT_REFUSED);
  v1::AdminAct issue;
  *issue.mutable_issue_user() = identity::make_signed(identity::SignedKind::user_certificate, body, gov.moi_admin.key);
  REQUIRE(gov.submit(*c, gov.moi_admin, issue).has_admin_act_ok());

  // The device collects it, certifies its device key, and authenticates.
  pb::ClientFrame collect;
  collect.mutable_collect_certificate()->set_code(code);
  auto status = device->request(collect);
  REQUIRE(status.has_enrolment_status());
  REQUIRE(status.enrolment_status().issued());
  TestUser user;
  user.body = body;
  user.cert = status.enrolment_status().user_certificate();
  user.identity = std::move(identity_key);
  TestAdmin issuer;
  issuer.chain = status.enrolment_status().issuer();
  auto laptop = gov.pki.device(issuer, user);
  auto ok = gov.connect_as(laptop)->authenticate();
  REQUIRE_MESSAGE(ok.has_auth_ok(), ok.DebugString());

  // And the administrator can now read the user's certificate (for clearance changes).
  v1::AdminAct get;
  get.mutable_get_user()->set_agency_id("moi");
  get.mutable_get_user()->set_user_id("malee");
  auto got = gov.submit(*c, gov.moi_admin, get);
  REQUIRE(got.has_admin_act_ok());
  CHECK(got.admin_act_ok().user_certificate().body() == user.cert.body());
  v1::AdminAct list_users;
  list_users.mutable_list_users();
  auto people = gov.submit(*c, gov.moi_admin, list_users);
  REQUIRE(people.has_admin_act_ok());
  REQUIRE(people.admin_act_ok().users_size() == 1);
  CHECK(people.admin_act_ok().users(0).user_id() == "malee");
  CHECK(people.admin_act_ok().users(0).clearance() == v1::CONFIDENTIAL);
  CHECK(people.admin_act_ok().users(0).devices() == 1);
}

TEST_CASE("a clearance change is refused across agencies, above the agency's cap, and without the officer role") {
  Government gov;
  auto user = gov.pki.user(gov.moi_admin, "somchai", Clearance::confidential);
  REQUIRE(gov.connect_as(gov.pki.device(gov.moi_admin, user))->authenticate().has_auth_ok());
  auto c = gov.connect();
  auto set_to = [&](const TestAdmin& signer, Clearance level, const std::string& agency) {
    auto renewed = gov.pki.user_body(signer, "somchai", level);
    renewed.body.set_agency_id(agency);
    renewed.body.set_identity_key(user.body.identity_key());
    v1::AdminAct act;
    *act.mutable_set_clearance() = identity::make_signed(identity::SignedKind::user_certificate, renewed.body, signer.key);
    return gov.submit(*c, signer, act);
  };
  auto cross = set_to(gov.mof_admin, Clearance::secret, "moi");  // mof's administrator, moi's user
  REQUIRE(cross.has_error());
  CHECK(cross.error().code() == pb::FORBIDDEN);
  auto above = set_to(gov.moi_admin, Clearance::top_secret, "moi");  // moi may grant up to Secret
  REQUIRE(above.has_error());
  CHECK(above.error().code() == pb::FORBIDDEN);
  CHECK(above.error().message().find("cert_clearance_above_cap") != std::string::npos);
  auto helpdesk = gov.pki.admin(gov.moi, "helpdesk", {v1::USER_ADMIN});
  auto no_officer = set_to(helpdesk, Clearance::secret, "moi");
  REQUIRE(no_officer.has_error());
  CHECK(no_officer.error().code() == pb::FORBIDDEN);
  CHECK(set_to(gov.moi_admin, Clearance::secret, "moi").has_admin_act_ok());
}
