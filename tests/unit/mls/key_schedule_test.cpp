// Key schedule failure paths and properties the vectors do not exercise.
#include <doctest/doctest.h>

#include "gchat/mls/key_schedule.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {
const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }
}  // namespace

TEST_CASE("secrets of the wrong length are refused") {
  const Bytes ok(32, 1), short_secret(31, 1), ctx{1, 2, 3};
  CHECK(derive_epoch(suite(), short_secret, ok, ok, ctx).error().code == Errc::invalid_argument);
  CHECK(derive_epoch(suite(), ok, short_secret, ok, ctx).error().code == Errc::invalid_argument);
  CHECK(derive_epoch(suite(), ok, ok, short_secret, ctx).error().code == Errc::invalid_argument);
  CHECK(derive_epoch_from_joiner(suite(), short_secret, ok, ctx).error().code == Errc::invalid_argument);
}

TEST_CASE("every epoch secret depends on the group context and on the PSK secret") {
  const Bytes init(32, 1), commit(32, 2), zero(32, 0), psk(32, 3);
  auto a = derive_epoch(suite(), init, commit, zero, Bytes{1});
  auto b = derive_epoch(suite(), init, commit, zero, Bytes{2});
  auto c = derive_epoch(suite(), init, commit, psk, Bytes{1});
  REQUIRE((a.ok() && b.ok() && c.ok()));
  CHECK_FALSE(a->epoch_authenticator == b->epoch_authenticator);
  CHECK_FALSE(a->epoch_authenticator == c->epoch_authenticator);
  CHECK_FALSE(a->encryption_secret == a->sender_data_secret);
  CHECK_FALSE(a->membership_key == a->confirmation_key);
}

TEST_CASE("no PSKs give the zero vector; order and identity of PSKs matter") {
  auto none = psk_secret(suite(), {});
  REQUIRE(none.ok());
  CHECK(none->view().size() == 32);
  CHECK(*none == SecretBytes(Bytes(32, 0)));
  PreSharedKeyId a, b;
  a.psk_id = {1};
  a.psk_nonce = Bytes(32, 1);
  b.psk_id = {2};
  b.psk_nonce = Bytes(32, 2);
  const Bytes ka(32, 0xa), kb(32, 0xb);
  auto ab = psk_secret(suite(), {{a, ka}, {b, kb}});
  auto ba = psk_secret(suite(), {{b, kb}, {a, ka}});
  auto a_only = psk_secret(suite(), {{a, ka}});
  REQUIRE((ab.ok() && ba.ok() && a_only.ok()));
  CHECK_FALSE(*ab == *ba);
  CHECK_FALSE(*ab == *a_only);
}

TEST_CASE("the exporter separates labels, contexts and lengths") {
  const Bytes secret(32, 9);
  auto x = mls_exporter(suite(), secret, "gchat channel key", Bytes{1}, 32);
  auto y = mls_exporter(suite(), secret, "gchat channel key", Bytes{2}, 32);
  auto z = mls_exporter(suite(), secret, "other", Bytes{1}, 32);
  auto w = mls_exporter(suite(), secret, "gchat channel key", Bytes{1}, 16);
  REQUIRE((x.ok() && y.ok() && z.ok() && w.ok()));
  CHECK_FALSE(*x == *y);
  CHECK_FALSE(*x == *z);
  CHECK(w->view().size() == 16);
  CHECK_FALSE(Bytes(x->view().begin(), x->view().begin() + 16) == Bytes(w->view().begin(), w->view().end()));
}
