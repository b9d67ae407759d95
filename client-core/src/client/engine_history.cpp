// History on a linked device: the device that links a new one (it holds the person's identity key
// and the history) sends it the conversations' earlier messages, end to end encrypted, so that a
// new laptop is not empty.
//
// How. Before adding the new device to the conversations, the linking device makes a history
// group: an ordinary MLS group of kind GROUP at the person's clearance whose only members are the
// two devices (its id starts with "G-Chat history:", so neither shows it as a conversation). Once
// the new device is in a conversation (it has processed the Welcome), it asks in the history group
// (HistoryRequest); the linking device answers once per conversation it added the device to, if
// the device's leaf is in that conversation's tree and the person is cleared for its level, with
// HistoryBatch messages: the signed Envelopes it holds, each with its author's chain, newest
// first, at most history_limit messages and a few batches in flight at a time. The new device
// checks every item as if it had come through the conversation itself — the author's chain to the
// root and the post's signature, the post's binding to that conversation, the level — and stores it
// in its place (its relay sequence), marked from_other_device. The relay relays ciphertext of one
// more group; it can neither read nor inject (see SECURITY.md, "History on a linked device").

#include <sodium.h>

#include <algorithm>

#include "engine.hpp"
#include "gchat/identity/certificate.hpp"
#include "gchat/identity/channel.hpp"

namespace gchat::client {

namespace {

constexpr std::string_view kHistoryPrefix = "G-Chat history:";
constexpr std::size_t kHistoryIdBytes = 16;
constexpr std::uint32_t kDefaultLimit = 5000;
constexpr std::uint32_t kDefaultBatchBytes = 256 * 1024;
constexpr std::uint32_t kMinBatchBytes = 16 * 1024;
constexpr std::uint32_t kMaxBatchBytes = 960 * 1024;  // under the relay's 1 MiB frame in any configuration
constexpr std::uint32_t kBatchesInFlight = 4;         // per linked device: the rest waits in the store
constexpr std::uint32_t kPage = 100;                  // history rows read at a time
constexpr std::size_t kItemOverhead = 8;              // field tag and length of an item or chain in a batch
constexpr std::size_t kBatchOverhead = 64;
constexpr int kMaxItems = 20'000;  // what a receiver takes in one batch
constexpr int kMaxChains = 2'000;
constexpr std::uint64_t kMaxSeq = std::uint64_t{1} << 62;  // above: positions of messages not placed

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }
std::string link_key(BytesView history_group) { return "history/" + to_hex(history_group); }

bool same_person(const identity::VerifiedUser& a, const identity::VerifiedUser& b) {
  return a.agency.agency_id == b.agency.agency_id && a.user_id == b.user_id;
}

bool listed(const google::protobuf::RepeatedPtrField<std::string>& list, BytesView id) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return same_bytes(as_bytes(s), id); });
}

identity::Clearance level_of(int level) {
  return identity::clearance_from_int(level).value_or(identity::kHighestClearance);
}

bool has_leaf(const mls::Group& g, BytesView device) {
  for (mls::LeafIndex i = 0; i < g.tree().leaf_count(); ++i) {
    const auto* leaf = g.tree().leaf(i);
    if (leaf && same_bytes(leaf->signature_key, device)) return true;
  }
  return false;
}

Bytes random_id() {
  Bytes id(kHistoryIdBytes);
  randombytes_buf(id.data(), id.size());
  return id;
}

// A conversation whose history a device asks for and receives: an MLS conversation of the
// person's, not a channel's publishers' group or a history group.
bool has_history(const Bytes& gid, bool group, bool left, bool channel) {
  return group && !left && !channel && !is_history_group(gid) && !identity::channel_of_publishers_group(gid);
}

}  // namespace

bool is_history_group(BytesView group_id) {
  return group_id.size() == kHistoryPrefix.size() + kHistoryIdBytes &&
         std::equal(kHistoryPrefix.begin(), kHistoryPrefix.end(), group_id.begin());
}

// ---------------------------------------------------------------------------------------------
// The link record (sealed in the store like every secret)

Result<std::optional<api::LocalHistoryLink>> Engine::history_link(const Bytes& history_group) const {
  GCHAT_TRY(auto stored, store_->get(link_key(history_group)));
  if (!stored) return std::optional<api::LocalHistoryLink>{};
  api::LocalHistoryLink link;
  if (!link.ParseFromArray(stored->data(), static_cast<int>(stored->size()))) {
    return fail(Errc::storage_corrupt, "local store: a history link does not parse");
  }
  return std::optional<api::LocalHistoryLink>(std::move(link));
}

Status Engine::save_history_link(const Bytes& history_group, const api::LocalHistoryLink& link) {
  return store_->put(link_key(history_group), as_bytes(link.SerializeAsString()));
}

std::optional<Bytes> Engine::history_group_for(const Bytes& device) const {
  for (const auto& [gid, c] : convs_) {
    if (!is_history_group(gid)) continue;
    auto link = history_link(gid);
    if (link.ok() && *link && same_bytes(as_bytes((*link)->device_key()), device)) return gid;
  }
  return std::nullopt;
}

// Every leaf and every admin is this person: a group only this person's devices can write in (a
// group someone else made and then left still names its maker as admin).
bool Engine::own_history_group(const Conv& t) const {
  if (!t.group || t.info.left()) return false;
  for (mls::LeafIndex i = 0; i < t.group->tree().leaf_count(); ++i) {
    const auto* leaf = t.group->tree().leaf(i);
    if (!leaf) continue;
    const auto user = identity::user_of(leaf->credential);
    if (!user || user->agency_id() != self_.user.agency.agency_id || user->user_id() != self_.user.user_id)
      return false;
  }
  auto policy = identity::policy_of(t.group->context().extensions);
  if (!policy.ok() || policy->admins().empty()) return false;
  return std::all_of(policy->admins().begin(), policy->admins().end(), [&](const idv1::UserRef& a) {
    return a.agency_id() == self_.user.agency.agency_id && a.user_id() == self_.user.user_id;
  });
}

// The retention rules of DESIGN.md (per classification level, in the group policy) are not built
// yet; the store keeps every message. When they are, a message they would
// have deleted is neither sent nor kept from another device: this is the one place that decides.
bool Engine::retained(const api::LocalMessage& /*m*/) const { return true; }

// ---------------------------------------------------------------------------------------------
// The linking device

bool Engine::start_history_link(const Bytes& device) {
  if (config_.no_history() || history_skipped_.count(device) || history_group_for(device)) return false;
  const Bytes gid = [] {
    Bytes id(kHistoryPrefix.begin(), kHistoryPrefix.end());
    const Bytes tail = random_id();
    id.insert(id.end(), tail.begin(), tail.end());
    return id;
  }();
  api::LocalHistoryLink link;
  link.set_device_key(to_str(device));
  if (auto s = save_history_link(gid, link); !s.ok()) {
    history_skipped_.insert(device);
    problem(api_error(s.error()));
    return false;
  }
  // At the person's clearance: what it carries is at most that (clients and relay check the two
  // devices against it like any member).
  idv1::GroupPolicy policy;
  policy.set_kind(idv1::GROUP);
  policy.set_level(static_cast<idv1::Clearance>(self_.user.clearance));
  auto* admin = policy.add_admins();
  admin->set_agency_id(self_.user.agency.agency_id);
  admin->set_user_id(self_.user.user_id);
  linking_ = true;
  start_group(gid, policy, {}, [this, gid, device](std::optional<ApiError> e) {
    linking_ = false;
    if (e) {
      // The link goes on without history (this session; the next one tries again).
      (void)store_->erase(link_key(gid));
      history_skipped_.insert(device);
      problem({e->code, "no history for the linked device: " + e->message, e->relay_code});
    }
    process_pending_links();
  });
  return true;
}

bool Engine::joins_for_link(const Bytes& gid, const Conv& c, const Bytes& device) const {
  // A conversation with a commit on its way (a renewal's refresh, say) is not passed over: the link
  // would count it done and the device would never join it. The add waits its turn or is retried.
  if (!c.group || c.info.left()) return false;
  // Each linked device has its own history group.
  if (is_history_group(gid)) return history_group_for(device) == gid;
  // Above a lowered clearance: the relay has taken the person out; an add would be refused.
  auto policy = identity::policy_of(c.group->context().extensions);
  return policy.ok() && identity::at_least(self_.user.clearance, level_of(policy->level()));
}

void Engine::note_link_added(const Bytes& device, const Bytes& gid) {
  if (is_history_group(gid)) return;
  const auto t = history_group_for(device);
  if (!t) return;
  auto link = history_link(*t);
  if (!link.ok() || !*link || listed((*link)->added(), gid)) return;
  (*link)->add_added(to_str(gid));
  if (auto s = save_history_link(*t, **link); !s.ok()) problem(api_error(s.error()));
}

Status Engine::answer_history_request(const Bytes& history_group, const api::HistoryRequest& r,
                                      const identity::VerifiedDevice& from) {
  GCHAT_TRY(auto link, history_link(history_group));
  if (!link) return fail(Errc::policy_not_permitted, "a history request in a history group this device did not make");
  if (!same_bytes(as_bytes(link->device_key()), from.device_key)) {
    return fail(Errc::policy_not_permitted, "a history request from another device than the one linked");
  }
  const Bytes gid = to_bytes(r.conversation_id());
  if (listed(link->answered(), gid)) return {};  // once per conversation
  // Conversations the device joined otherwise (made with it, added by others) hold nothing older.
  if (!listed(link->added(), gid)) return {};
  const Conv* c = find(gid);
  if (!c || !has_history(gid, c->group.has_value(), c->info.left(), c->channel.has_value()) ||
      !has_leaf(*c->group, from.device_key)) {
    return fail(Errc::policy_not_permitted, "the linked device asked for the history of a conversation it is not in");
  }
  auto policy = identity::policy_of(c->group->context().extensions);
  if (!policy.ok()) return Unexpected{policy.error()};
  const auto level = level_of(policy->level());
  if (!identity::at_least(self_.user.clearance, level) || !identity::at_least(from.user.clearance, level)) {
    return fail(Errc::clearance_too_low,
                "the linked device asked for the history of a conversation above the person's clearance");
  }
  link->add_answered(to_str(gid));
  link->add_jobs()->set_conversation_id(to_str(gid));
  GCHAT_TRY_STATUS(open_batch());
  GCHAT_TRY_STATUS(save_history_link(history_group, *link));
  pump_history(history_group);
  return {};
}

// Queues the next batches of a history group's jobs while fewer than kBatchesInFlight wait in the
// outbox: a transfer of many conversations never sits in memory at once.
void Engine::pump_history(const Bytes& history_group) {
  Conv* t = find(history_group);
  if (!t || !t->group || t->info.left()) return;
  auto link = history_link(history_group);
  if (!link.ok()) return problem(api_error(link.error()));
  if (!*link || (*link)->jobs().empty()) return;
  // At most what both this device's person and the linked device's chain are cleared for.
  std::optional<identity::Clearance> limit;
  for (mls::LeafIndex i = 0; i < t->group->tree().leaf_count() && !limit; ++i) {
    const auto* leaf = t->group->tree().leaf(i);
    if (!leaf || !same_bytes(leaf->signature_key, as_bytes((*link)->device_key()))) continue;
    auto device = leaf_device(*t->group, i);
    if (device.ok()) limit = std::min(device->user.clearance, self_.user.clearance);
  }
  if (!limit) return;  // not in the history group (yet, or removed)
  auto waiting = store_->outbox_count(history_group);
  if (!waiting.ok()) return problem(api_error(waiting.error()));
  if (auto s = open_batch(); !s.ok()) return problem(api_error(s.error()));
  std::uint32_t queued = *waiting;
  bool changed = false;
  while (queued < kBatchesInFlight && !(*link)->jobs().empty()) {
    auto batch = next_history_batch(*(*link)->mutable_jobs(0), *limit);
    if (!batch.ok()) {
      problem(api_error(batch.error()));
      break;
    }
    changed = true;
    const bool last = batch->last();
    api::HistoryMessage m;
    *m.mutable_batch() = std::move(*batch);
    auto q = store_->queue(history_group, random_id(), as_bytes(m.SerializeAsString()));
    if (!q.ok()) {
      problem(api_error(q.error()));
      break;
    }
    ++queued;
    if (last) (*link)->mutable_jobs()->DeleteSubrange(0, 1);
  }
  if (!changed) return;
  if (auto s = save_history_link(history_group, **link); !s.ok()) problem(api_error(s.error()));
  encrypt_queued_ = true;
  schedule_flush();
}

void Engine::resume_history() {
  std::vector<Bytes> groups;
  for (const auto& [gid, c] : convs_) {
    if (is_history_group(gid)) groups.push_back(gid);
  }
  for (const auto& gid : groups) pump_history(gid);
}

namespace {

// What the linking device sends of a stored message: placed by the relay, a signed text post
// (notices are this device's own records, without an author's signature), at or below `limit`.
bool transferable(const StoredMessage& row, const api::LocalMessage& local, identity::Clearance limit) {
  if (row.seq == 0 || row.seq >= kMaxSeq) return false;
  if (row.status != api::SENT && row.status != api::DELIVERED && row.status != api::READ &&
      row.status != api::RECEIVED) {
    return false;
  }
  if (local.message().has_notice() || !local.has_envelope() || local.sender_chain().empty()) return false;
  api::Post post;
  if (!post.ParseFromString(local.envelope().post()) || !post.has_text()) return false;
  const int level = std::max<int>(post.level(), local.conversation_level());
  return identity::at_least(limit, level_of(level));
}

}  // namespace

Result<api::HistoryBatch> Engine::next_history_batch(api::LocalHistoryJob& job, identity::Clearance limit) {
  const Bytes gid = to_bytes(job.conversation_id());
  api::HistoryBatch out;
  out.set_conversation_id(job.conversation_id());
  const Conv* c = find(gid);
  if (!c || !c->group || c->info.left()) {
    out.set_last(true);  // left meanwhile: nothing more to send
    return out;
  }
  const std::uint32_t most = config_.history_limit() ? config_.history_limit() : kDefaultLimit;
  const std::size_t budget =
      std::clamp<std::uint32_t>(config_.history_batch_bytes() ? config_.history_batch_bytes() : kDefaultBatchBytes,
                                kMinBatchBytes, kMaxBatchBytes);
  std::size_t size = kBatchOverhead + job.conversation_id().size();
  std::vector<api::HistoryItem> items;  // newest first
  std::map<std::string, std::uint32_t> chains;
  bool full = false, finished = false;
  std::uint32_t too_large = 0;
  while (!full && !finished) {
    if (job.sent() >= most) {
      finished = true;
      break;
    }
    GCHAT_TRY(auto rows, store_->history(gid, job.before(), kPage));
    if (rows.empty()) {
      finished = true;
      break;
    }
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      if (job.sent() >= most) {
        finished = true;
        break;
      }
      api::LocalMessage local;
      if (!local.ParseFromArray(it->message.data(), static_cast<int>(it->message.size())) ||
          !transferable(*it, local, limit) || !retained(local)) {
        job.set_before(it->order);
        continue;
      }
      const bool new_chain = !chains.count(local.sender_chain());
      api::HistoryItem item;
      *item.mutable_envelope() = local.envelope();
      item.set_seq(it->seq);
      item.set_chain(new_chain ? static_cast<std::uint32_t>(chains.size()) : chains.at(local.sender_chain()));
      const std::size_t cost =
          item.ByteSizeLong() + kItemOverhead + (new_chain ? local.sender_chain().size() + kItemOverhead : 0);
      if (size + cost > budget) {
        if (!items.empty()) {
          full = true;
          break;
        }
        // Larger than a batch on its own (a configured batch below the largest post): left out.
        ++too_large;
        job.set_before(it->order);
        continue;
      }
      if (new_chain) chains.emplace(local.sender_chain(), item.chain());
      size += cost;
      items.push_back(std::move(item));
      job.set_before(it->order);
      job.set_sent(job.sent() + 1);
    }
  }
  if (too_large) {
    problem({api::INVALID_ARGUMENT, std::to_string(too_large) +
                                        " messages larger than history_batch_bytes were not sent to the linked device"});
  }
  std::vector<const std::string*> by_index(chains.size());
  for (const auto& [chain, index] : chains) by_index[index] = &chain;
  for (const auto* chain : by_index) out.add_chains(*chain);
  for (auto it = items.rbegin(); it != items.rend(); ++it) *out.add_items() = std::move(*it);
  const std::int64_t read = store_->read_position(gid);
  // Past every placed message (this device's own queued ones are read too): all of them.
  if (read > 0) out.set_read_up_to(std::min(static_cast<std::uint64_t>(read), kMaxSeq - 1));
  out.set_last(finished);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The linked device

void Engine::after_join(const Bytes& gid) {
  auto ask = [this](const Bytes& history_group, const Bytes& conversation) {
    api::HistoryMessage m;
    m.mutable_request()->set_conversation_id(to_str(conversation));
    if (auto s = open_batch(); !s.ok()) return problem(api_error(s.error()));
    auto q = store_->queue(history_group, random_id(), as_bytes(m.SerializeAsString()));
    if (!q.ok()) return problem(api_error(q.error()));
    encrypt_queued_ = true;
    schedule_flush();
  };
  // The history group of the device that linked this one: this device did not make it.
  auto linked_by = [this](const Bytes& history_group) {
    const Conv* t = find(history_group);
    if (!t || !own_history_group(*t)) return false;
    auto link = history_link(history_group);
    return link.ok() && !*link;
  };
  const Conv* joined = find(gid);
  if (!joined) return;
  if (is_history_group(gid)) {
    if (!linked_by(gid)) return;
    for (const auto& [cid, c] : convs_) {
      if (has_history(cid, c.group.has_value(), c.info.left(), c.channel.has_value())) ask(gid, cid);
    }
    return;
  }
  if (!has_history(gid, joined->group.has_value(), joined->info.left(), joined->channel.has_value())) return;
  for (const auto& [tid, t] : convs_) {
    if (is_history_group(tid) && linked_by(tid)) return ask(tid, gid);
  }
}

Status Engine::receive_history(const pb::Delivery& d, Conv& c, BytesView data, const identity::VerifiedDevice& from) {
  const Bytes gid = to_bytes(d.group_id());
  api::HistoryMessage m;
  if (!m.ParseFromArray(data.data(), static_cast<int>(data.size())) ||
      m.body_case() == api::HistoryMessage::BODY_NOT_SET) {
    ++undecryptable_;
    return fail(Errc::malformed, "a history message does not parse");
  }
  // Only another device of this person, in a group of this person's devices only.
  if (!same_person(from.user, self_.user) || same_bytes(from.device_key, device_key_->public_key()) ||
      !own_history_group(c)) {
    undecryptable_ += m.has_batch() ? std::max(1, m.batch().items_size()) : 1;
    return fail(Errc::policy_not_permitted, "history from outside this person's own devices was refused");
  }
  if (m.has_request()) return answer_history_request(gid, m.request(), from);
  return receive_history_batch(gid, m.batch());
}

Status Engine::receive_history_batch(const Bytes& history_group, const api::HistoryBatch& b) {
  const Bytes gid = to_bytes(b.conversation_id());
  auto refuse_all = [&](const std::string& why) -> Status {
    const auto n = static_cast<std::uint32_t>(b.items_size());
    if (n == 0) return {};  // an empty last batch: nothing to refuse
    undecryptable_ += n;
    event([&](api::Event& e) {
      auto* h = e.mutable_history();
      h->set_conversation_id(b.conversation_id());
      h->set_refused(n);
      h->set_complete(b.last());
    });
    return fail(Errc::policy_not_permitted, "earlier messages from your other device were refused: " + why);
  };
  // The device that made the history group sends; it never takes history from the linked one.
  GCHAT_TRY(auto link, history_link(history_group));
  if (link) return refuse_all("sent to the device that linked the other");
  if (b.items_size() > kMaxItems || b.chains_size() > kMaxChains) return refuse_all("too large a batch");
  const Conv* c = find(gid);
  if (!c || !has_history(gid, c->group.has_value(), c->info.left(), c->channel.has_value())) {
    return refuse_all("they are of a conversation this device is not in");
  }
  std::uint32_t stored = 0, refused = 0;
  std::uint64_t highest = 0;
  std::optional<Error> first;
  for (const auto& item : b.items()) {
    auto local = verified_history_item(item, b, *c);
    if (!local.ok()) {
      ++refused;
      if (!first) first = local.error();
      continue;
    }
    const api::Message& message = local->message();
    highest = std::max(highest, message.seq());
    GCHAT_TRY(auto existing, store_->message(as_bytes(message.message_id())));
    if (existing) continue;  // received here already (after joining), or sent twice
    GCHAT_TRY(auto row, store_->add_message(gid, as_bytes(message.message_id()), message.seq(), api::RECEIVED, false,
                                            as_bytes(local->SerializeAsString()), message.text()));
    (void)row;
    ++stored;
  }
  // What the person had read on the other device is read here too (never past what arrived).
  const std::uint64_t read = std::min(b.read_up_to(), highest);
  if (read > 0 && static_cast<std::int64_t>(read) > store_->read_position(gid)) {
    GCHAT_TRY_STATUS(store_->set_read_position(gid, static_cast<std::int64_t>(read)));
  }
  undecryptable_ += refused;
  if (stored || refused || b.last()) {
    event([&](api::Event& e) {
      auto* h = e.mutable_history();
      h->set_conversation_id(b.conversation_id());
      h->set_messages(stored);
      h->set_refused(refused);
      h->set_complete(b.last());
    });
  }
  if (first) {
    problem({api::CERTIFICATE,
             std::to_string(refused) + " earlier messages from your other device were refused: " + first->to_string(),
             0});
  }
  return {};
}

// One item, checked as if it had come through its conversation: the author's chain to the root
// (as of its last valid second when expired since; revocation applies), the author's signature on
// the post, the post bound to this conversation, at or below this person's clearance, and a place.
Result<api::LocalMessage> Engine::verified_history_item(const api::HistoryItem& item, const api::HistoryBatch& b,
                                                        const Conv& c) const {
  if (item.chain() >= static_cast<std::uint32_t>(b.chains_size()))
    return fail(Errc::malformed, "an item names no chain");
  const std::string& chain_bytes = b.chains(static_cast<int>(item.chain()));
  idv1::Chain chain;
  idv1::DeviceCertificate device;
  if (!chain.ParseFromString(chain_bytes) || !device.ParseFromString(chain.device().body())) {
    return fail(Errc::cert_malformed, "an author's chain does not parse");
  }
  GCHAT_TRY(auto author,
            verifier_->verify_member(identity::gchat_credential(as_bytes(chain_bytes)), as_bytes(device.device_key())));
  GCHAT_TRY_STATUS(identity::verify_signature(identity::SignedKind::post, as_bytes(item.envelope().post()),
                                              as_bytes(item.envelope().signature()), author.device_key));
  api::Post post;
  if (!post.ParseFromString(item.envelope().post())) return fail(Errc::malformed, "a post does not parse");
  if (post.conversation_id() != c.info.conversation_id()) {
    return fail(Errc::mls_wrong_group, "a post signed for another conversation");
  }
  if (item.seq() == 0 || item.seq() >= kMaxSeq)
    return fail(Errc::malformed, "a post without its place in the conversation");
  if (!identity::at_least(self_.user.clearance, level_of(post.level()))) {
    return fail(Errc::clearance_too_low, "a post above this person's clearance");
  }
  // A forward is judged against the level it was written at (no write-down then).
  GCHAT_TRY(auto message, verified_text(post, author, item.seq(), post.level(), true));
  message.set_from_other_device(true);
  api::LocalMessage local;
  *local.mutable_message() = std::move(message);
  *local.mutable_envelope() = item.envelope();
  local.set_sender_chain(chain_bytes);
  local.set_conversation_level(static_cast<idv1::Clearance>(std::max<int>(post.level(), c.info.level())));
  if (!retained(local)) return fail(Errc::not_found, "a post past the retention of its conversation");
  return local;
}

}  // namespace gchat::client
