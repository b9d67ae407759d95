#include "gchat/identity/audit.hpp"

#include <doctest/doctest.h>

using namespace gchat;
using namespace gchat::identity;

namespace {

struct Log {
  SigningKey relay = SigningKey::generate();
  std::vector<StoredAuditEntry> entries;
  std::vector<v1::Signed> checkpoints;

  void append(const std::string& kind, const std::string& subject) {
    v1::AuditEntry e;
    e.set_seq(entries.size() + 1);
    e.set_time_ms(1000 + static_cast<std::int64_t>(entries.size()));
    e.set_kind(kind);
    e.set_actor("moi/admin1");
    e.set_subject(subject);
    const Bytes previous = entries.empty() ? audit_genesis_hash() : entries.back().hash;
    entries.push_back({e, audit_hash(previous, e)});
  }
  void checkpoint() {
    v1::AuditCheckpoint c;
    c.set_seq(entries.size());
    c.set_hash(std::string(entries.back().hash.begin(), entries.back().hash.end()));
    c.set_relay_id("relay-1");
    checkpoints.push_back(make_signed(SignedKind::audit_checkpoint, c, relay));
  }
  Result<AuditReport> verify() const { return verify_audit(entries, checkpoints, relay.public_key()); }
};

Log sample() {
  Log log;
  log.append("device_registered", "moi/somchai");
  log.append("group_created", "g1");
  log.checkpoint();
  log.append("clearance_changed", "moi/somchai");
  log.append("device_revoked", "moi/somchai");
  log.checkpoint();
  log.append("member_added", "g1");
  return log;
}

}  // namespace

TEST_CASE("an intact log verifies and reports the entries not yet checkpointed") {
  auto log = sample();
  auto r = log.verify();
  REQUIRE(r.ok());
  CHECK(r->entries == 5);
  CHECK(r->checkpoints == 2);
  CHECK(r->last_checkpointed_seq == 4);
  CHECK(verify_audit({}, {}, log.relay.public_key()).ok());
}

TEST_CASE("an edited entry breaks the chain") {
  auto log = sample();
  log.entries[1].entry.set_subject("g2");
  auto r = log.verify();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::audit_broken);
  CHECK(r.error().message.find("entry 2") != std::string::npos);
}

TEST_CASE("an edited entry with all later hashes recomputed still fails at the checkpoint") {
  auto log = sample();
  log.entries[0].entry.set_detail("nothing happened");
  Bytes previous = audit_genesis_hash();
  for (auto& e : log.entries) {
    e.hash = audit_hash(previous, e.entry);
    previous = e.hash;
  }
  auto r = log.verify();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::audit_broken);
  CHECK(r.error().message.find("checkpoint") != std::string::npos);
}

TEST_CASE("a deleted entry is a gap; deleted tail entries orphan their checkpoint") {
  auto gap = sample();
  gap.entries.erase(gap.entries.begin() + 2);
  CHECK(gap.verify().error().code == Errc::audit_broken);

  auto tail = sample();
  tail.entries.resize(3);
  auto r = tail.verify();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("deleted") != std::string::npos);
}

TEST_CASE("reordered entries are refused") {
  auto log = sample();
  std::swap(log.entries[2], log.entries[3]);
  std::swap(log.entries[2].entry, log.entries[3].entry);  // even with their seq numbers swapped back
  auto a = log.entries[2].entry.seq();
  log.entries[2].entry.set_seq(log.entries[3].entry.seq());
  log.entries[3].entry.set_seq(a);
  CHECK(log.verify().error().code == Errc::audit_broken);
}

TEST_CASE("a checkpoint signed by another key, or none at all, is refused") {
  auto log = sample();
  const auto other = SigningKey::generate();
  CHECK(verify_audit(log.entries, log.checkpoints, other.public_key()).error().code == Errc::audit_broken);
  CHECK(verify_audit(log.entries, {}, log.relay.public_key()).error().code == Errc::audit_broken);
}
