// The people directory (FindPeople) through real clients and the real relay: what the member
// picker and the clearance officer's screens show.
#include <doctest/doctest.h>

#include "client_world.hpp"

using namespace gchat;
using namespace gchat::testing;
using identity::Clearance;

namespace {

api::Response find(client::Client& c, const std::string& query, const std::string& agency = "") {
  api::Request r;
  r.mutable_find_people()->set_query(query);
  r.mutable_find_people()->set_agency_id(agency);
  return c.call(r, kWait);
}

const api::DirectoryEntry* entry(const api::Response& r, const std::string& user) {
  for (const auto& e : r.people().people()) {
    if (e.person().user_id() == user) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the directory finds people by user id or Thai name, with their verified clearance and devices") {
  ClientWorld w;
  auto somchai = w.enrol("moi", "somchai", Clearance::secret);
  auto somying = w.enrol("mof", "somying", Clearance::confidential);
  auto other = w.enrol("moi", "kanda", Clearance::top_secret);

  auto found = find(*somchai, "som");
  REQUIRE_MESSAGE(found.has_people(), found.DebugString());
  CHECK(found.people().people_size() == 2);
  const auto* s = entry(found, "somying");
  REQUIRE(s);
  CHECK(s->person().agency_id() == "mof");
  CHECK(s->person().clearance() == idv1::CONFIDENTIAL);
  REQUIRE(s->devices_size() == 1);
  CHECK(s->devices(0).device_key().size() == 32);
  CHECK(s->devices(0).device_name() == "somying-laptop");

  // Thai names are matched inside (the test PKI names people "คุณ <user>").
  auto by_name = find(*somying, "ณ kan");
  REQUIRE(entry(by_name, "kanda"));
  CHECK(entry(by_name, "kanda")->person().name_th() == "คุณ kanda");

  // One agency only; % and _ are literal.
  auto moi = find(*somying, "", "moi");
  CHECK(moi.people().people_size() == 2);
  CHECK_FALSE(entry(moi, "somying"));
  CHECK(find(*somying, "%%%").people().people_size() == 0);
  CHECK(find(*somying, "so_chai").people().people_size() == 0);
  CHECK(find(*somying, "\"som").people().people_size() == 0);  // a quote is text, not FTS syntax
  CHECK(find(*somying, "SOMCH").people().people_size() == 1);   // ASCII case does not matter
  // Within one agency any part is enough, even two letters.
  CHECK(find(*somying, "nd", "moi").people().people_size() == 1);

  // Bad requests get stable codes: across agencies a query needs 3 characters (Thai counted as such).
  CHECK(find(*somying, "").error().code() == api::INVALID_ARGUMENT);
  CHECK(find(*somying, "so").error().code() == api::INVALID_ARGUMENT);
  CHECK(find(*somying, "คุณ").has_people());
  api::Request big;
  big.mutable_find_people()->set_query("x");
  big.mutable_find_people()->set_limit(1000);
  CHECK(somying->call(big, kWait).error().code() == api::INVALID_ARGUMENT);
}

TEST_CASE("after a clearance change the directory shows the new, verifiable clearance; revoked devices vanish") {
  ClientWorld w;
  auto officer_view = w.enrol("moi", "viewer", Clearance::secret);
  auto lowered = w.enrol("moi", "lowered", Clearance::secret);
  w.set_clearance("moi", "lowered", Clearance::confidential);
  auto after = find(*officer_view, "lowered");
  const auto* e = entry(after, "lowered");
  REQUIRE_MESSAGE(e, after.DebugString());
  CHECK(e->person().clearance() == idv1::CONFIDENTIAL);

  REQUIRE(e->devices_size() == 1);
  idv1::AdminAct act;
  act.set_revoke_device(e->devices(0).device_key());
  REQUIRE(w.submit("moi", act).has_admin_act_ok());
  CHECK_FALSE(entry(find(*officer_view, "lowered"), "lowered"));
}

TEST_CASE("the relay refuses directory queries a client would not send, with INVALID_ARGUMENT") {
  ClientWorld w;
  auto someone = w.enrol("moi", "someone", Clearance::secret);
  auto raw = w.raw_device("moi", w.users.at("someone"));
  auto ask = [&](const std::string& query, const std::string& agency, std::uint32_t limit) {
    relay::v1::ClientFrame f;
    f.mutable_find_people()->set_query(query);
    f.mutable_find_people()->set_agency_id(agency);
    f.mutable_find_people()->set_limit(limit);
    return raw->request(f);
  };
  CHECK(ask("", "", 0).error().code() == relay::v1::INVALID_ARGUMENT);
  CHECK(ask("ab", "", 0).error().code() == relay::v1::INVALID_ARGUMENT);           // too short across agencies
  CHECK(ask(std::string(65, 'a'), "", 0).error().code() == relay::v1::INVALID_ARGUMENT);  // oversized
  CHECK(ask("", std::string(65, 'm'), 0).error().code() == relay::v1::INVALID_ARGUMENT);
  CHECK(ask("someone", "", 201).error().code() == relay::v1::INVALID_ARGUMENT);   // above the bound
  auto ok = ask("someone", "", 1);
  REQUIRE_MESSAGE(ok.has_people(), ok.DebugString());
  CHECK(ok.people().chains_size() == 1);
  CHECK(ok.people().more());  // her second (raw) device is cut by the limit
}
