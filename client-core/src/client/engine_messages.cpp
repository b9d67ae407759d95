// Messages: signed posts queued locally and encrypted when they go out, incoming posts verified
// and kept, forwards that keep their original signature, read receipts, history and search.

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "engine.hpp"
#include "gchat/identity/certificate.hpp"

namespace gchat::client {

namespace {

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }

constexpr std::size_t kMaxText = 64 * 1024;
constexpr std::size_t kMessageIdBytes = 16;
constexpr std::uint32_t kDefaultPage = 50;
constexpr std::uint32_t kMaxPage = 500;
constexpr std::uint32_t kMaxReceipt = 100;
constexpr auto kRateRetry = std::chrono::seconds(1);
constexpr std::size_t kMaxInFlight = 64;

Bytes random_id() {
  Bytes id(kMessageIdBytes);
  randombytes_buf(id.data(), id.size());
  return id;
}

std::uint32_t page(std::uint32_t asked) { return asked == 0 ? kDefaultPage : std::min(asked, kMaxPage); }

}  // namespace

std::string Engine::sent_key(BytesView ciphertext) {
  std::string key(16, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(), ciphertext.data(), ciphertext.size(),
                     nullptr, 0);
  return key;
}

Result<api::Message> Engine::load_message(const StoredMessage& m) const {
  api::LocalMessage local;
  if (!local.ParseFromArray(m.message.data(), static_cast<int>(m.message.size()))) {
    return fail(Errc::storage_corrupt, "local store: a message does not parse");
  }
  api::Message out = std::move(*local.mutable_message());
  out.set_seq(m.seq);
  out.set_status(static_cast<api::MessageStatus>(m.status));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sending

Result<api::Message> Engine::queue_post(const Bytes& gid, api::Post post, const std::string& index_text,
                                        const api::Forwarded* forwarded) {
  const std::string post_bytes = post.SerializeAsString();
  api::Envelope envelope;
  envelope.set_post(post_bytes);
  envelope.set_signature(to_str(device_key_->sign(identity::SignedKind::post, as_bytes(post_bytes))));
  const std::string envelope_bytes = envelope.SerializeAsString();

  api::Message message;
  message.set_message_id(post.message_id());
  message.set_conversation_id(to_str(gid));
  *message.mutable_sender() = self_sender();
  message.set_sent_at_ms(post.sent_at_ms());
  message.set_status(api::QUEUED);
  message.set_outgoing(true);
  if (post.has_text()) {
    message.set_text(post.text().body());
    message.set_reply_to(post.text().reply_to());
  }
  if (forwarded) *message.mutable_forwarded() = *forwarded;

  // Joins the open write batch (one transaction and one fsync for a burst of posts); the
  // response waits with the batch until it is durable.
  GCHAT_TRY_STATUS(open_batch());
  if (post.has_text()) {
    api::LocalMessage local;
    *local.mutable_message() = message;
    *local.mutable_envelope() = envelope;
    local.set_sender_chain(to_str(chain_bytes_));
    local.set_conversation_level(post.level());
    GCHAT_TRY(auto added, store_->add_message(gid, as_bytes(post.message_id()), 0, api::QUEUED, true,
                                              as_bytes(local.SerializeAsString()), index_text));
    (void)added;
  }
  GCHAT_TRY(auto queued, store_->queue(gid, as_bytes(post.message_id()), as_bytes(envelope_bytes)));
  (void)queued;
  encrypt_queued_ = true;
  schedule_flush();
  return message;
}

void Engine::send_text(std::uint64_t id, const api::SendText& r) {
  const Bytes gid = to_bytes(r.conversation_id());
  Conv* c = find(gid);
  if (!sendable(c) || is_history_group(gid)) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  if (c->channel && !c->channel->publisher) {
    return respond_error(id, {api::NOT_PERMITTED, "only the channel's publishers post in it"});
  }
  if (r.text().empty() || r.text().size() > kMaxText) {
    return respond_error(id, {api::INVALID_ARGUMENT, "a message is 1 byte to 64 KiB of text"});
  }
  if (!r.reply_to().empty()) {
    auto answered = store_->message(as_bytes(r.reply_to()));
    if (!answered.ok() || !*answered) return respond_error(id, {api::NOT_FOUND, "the message answered is not here"});
    auto m = load_message(**answered);
    if (!m.ok() || m->conversation_id() != r.conversation_id()) {
      return respond_error(id, {api::NOT_FOUND, "a reply answers a message of the same conversation"});
    }
  }
  api::Post post;
  post.set_message_id(to_str(random_id()));
  post.set_sent_at_ms(now_ms());
  post.set_conversation_id(to_str(gid));
  post.set_level(c->info.level());
  post.mutable_text()->set_body(r.text());
  post.mutable_text()->set_reply_to(r.reply_to());
  auto queued = queue_post(gid, std::move(post), r.text(), nullptr);
  if (!queued.ok()) return respond_error(id, api_error(queued.error()));
  respond(id, [&](api::Response& resp) { *resp.mutable_message() = std::move(*queued); });
}

void Engine::forward(std::uint64_t id, const api::Forward& r) {
  auto stored = store_->message(as_bytes(r.message_id()));
  if (!stored.ok()) return respond_error(id, api_error(stored.error()));
  if (!*stored) return respond_error(id, {api::NOT_FOUND, "no such message on this device"});
  api::LocalMessage local;
  if (!local.ParseFromArray((*stored)->message.data(), static_cast<int>((*stored)->message.size()))) {
    return respond_error(id, {api::STORAGE, "local store: a message does not parse"});
  }
  const Bytes to = to_bytes(r.to_conversation_id());
  Conv* target = find(to);
  if (!sendable(target) || is_history_group(to)) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  if (target->channel && !target->channel->publisher) {
    return respond_error(id, {api::NOT_PERMITTED, "only the channel's publishers post in it"});
  }
  // No write-down: what was said at a level goes only where everyone is cleared for it.
  const auto source_level = std::max<int>(local.conversation_level(), local.message().forwarded().original_level());
  if (static_cast<int>(target->info.level()) < source_level) {
    return respond_error(id, {api::WRITE_DOWN, "this message comes from a conversation classified " +
                                                    identity::label_both(static_cast<identity::Clearance>(source_level)) +
                                                    "; it cannot go to one classified lower"});
  }
  api::ForwardedPost original;
  api::Post source;
  source.ParseFromString(local.envelope().post());
  if (!source.text().has_forwarded()) {
    // Only a post whose author's signature holds can be passed on in the author's name.
    idv1::Chain author_chain;
    const identity::TrustAnchor anchor = trust_anchor();
    auto author = author_chain.ParseFromString(local.sender_chain())
                      ? identity::verify_chain(author_chain, anchor)
                      : Result<identity::VerifiedDevice>(fail(Errc::cert_malformed, "the author's chain does not parse"));
    if (!author.ok()) return respond_error(id, api_error(author.error()));
    if (auto s = identity::verify_signature(identity::SignedKind::post, as_bytes(local.envelope().post()),
                                            as_bytes(local.envelope().signature()), author->device_key);
        !s.ok()) {
      return respond_error(id, {api::CERTIFICATE, "the original message's signature does not verify; it cannot be forwarded"});
    }
  }
  if (source.text().has_forwarded()) {
    original = source.text().forwarded();  // a forward of a forward carries the first author
  } else {
    *original.mutable_original() = local.envelope();
    original.set_original_chain(local.sender_chain());
  }
  api::Forwarded shown;
  if (local.message().has_forwarded()) {
    shown = local.message().forwarded();
  } else {
    *shown.mutable_original_sender() = local.message().sender();
    shown.set_original_sent_at_ms(local.message().sent_at_ms());
    shown.set_original_level(local.conversation_level());
  }
  api::Post post;
  post.set_message_id(to_str(random_id()));
  post.set_sent_at_ms(now_ms());
  post.set_conversation_id(to_str(to));
  post.set_level(target->info.level());
  post.mutable_text()->set_body(local.message().text());
  *post.mutable_text()->mutable_forwarded() = std::move(original);
  auto queued = queue_post(to, std::move(post), local.message().text(), &shown);
  if (!queued.ok()) return respond_error(id, api_error(queued.error()));
  respond(id, [&](api::Response& resp) { *resp.mutable_message() = std::move(*queued); });
}

// Encrypts queued posts in the conversation's current epoch and sends them; each is kept until
// the relay hands it back in its place in that same epoch.
void Engine::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  asio::post(ioc_, [this] {
    flush_scheduled_ = false;
    flush_outbox();
  });
}

void Engine::flush_outbox() {
  if (!authenticated_ || stopping_ || rate_paused_) return;
  settle();
  if (reload_ready_) {
    // After a (re)connection: what was encrypted but not confirmed goes out again, in order.
    auto pending = store_->outbox_unconfirmed(0);
    if (!pending.ok()) return problem(api_error(pending.error()));
    ready_.clear();
    for (auto& e : *pending) {
      if (!e.ciphertext.empty()) ready_.push_back(std::move(e));
    }
    reload_ready_ = false;
  }
  if (encrypt_queued_) {
    if (auto s = encrypt_queued(); !s.ok()) return problem(api_error(s.error()));
    encrypt_queued_ = false;
  }
  // A window of messages in flight: more go out as the relay confirms earlier ones.
  while (!ready_.empty() && in_flight_.size() < kMaxInFlight) {
    OutboxEntry e = std::move(ready_.front());
    ready_.pop_front();
    if (in_flight_.count(e.id)) continue;
    Conv* c = find(e.group_id);
    if (!sendable(c)) {
      (void)store_->unqueue(e.id);
      problem({api::NOT_FOUND, "a queued message was dropped: its conversation is gone"});
      continue;
    }
    send_ready(std::move(e));
  }
}

// Encrypts every queued post in one transaction, in order. The ratchet steps are on disk before
// any ciphertext leaves: a restart never reuses a key.
Status Engine::encrypt_queued() {
  GCHAT_TRY(auto fresh, store_->outbox_unencrypted());
  if (fresh.empty()) return {};
  GCHAT_TRY_STATUS(store_->begin());
  std::set<Bytes> touched;
  std::vector<OutboxEntry> done;
  for (auto& e : fresh) {
    Conv* c = find(e.group_id);
    if (!sendable(c)) continue;
    if (c->channel) {
      // One AEAD encryption under the channel key, whatever the number of subscribers.
      std::uint64_t generation = 0;
      auto sealed = encrypt_channel_post(e, *c, generation);
      if (!sealed.ok()) {
        if (sealed.error().code != Errc::not_found) problem(api_error(sealed.error()));
        continue;  // no publishers' group yet: stays queued
      }
      e.ciphertext = std::move(*sealed);
      e.epoch = generation;
    } else {
      auto ct = c->group->protect(e.envelope);
      if (!ct.ok()) {
        problem(api_error(ct.error()));
        continue;
      }
      e.ciphertext = codec::encode(*ct);
      e.epoch = c->group->epoch();
      touched.insert(e.group_id);
    }
    if (auto s = store_->set_sent(e.id, e.ciphertext, e.epoch); !s.ok()) {
      store_->rollback();
      return s;
    }
    done.push_back(std::move(e));
  }
  Status s;
  for (const auto& gid : touched) {
    if (s.ok()) s = save(gid, *find(gid));
  }
  if (s.ok()) s = store_->commit();
  if (!s.ok()) {
    // Memory is ahead of disk and nothing was sent: start again from the disk.
    store_->rollback();
    reload_from_disk();
    return s;
  }
  for (auto& e : done) ready_.push_back(std::move(e));
  return {};
}

void Engine::send_ready(OutboxEntry e) {
  sent_index_[sent_key(e.ciphertext)] = e.id;
  in_flight_.insert(e.id);
  pb::ClientFrame f;
  f.mutable_send()->set_group_id(to_str(e.group_id));
  const Conv* c = find(e.group_id);
  f.mutable_send()->set_kind(c && c->channel ? pb::CHANNEL_POST : pb::APPLICATION);
  f.mutable_send()->set_payload(to_str(e.ciphertext));
  relay(std::move(f), [this, e = std::move(e)](const pb::ServerFrame& reply) mutable {
    in_flight_.erase(e.id);
    if (reply.has_error()) {
      const auto code = reply.error().code();
      if (code == pb::SHUTTING_DOWN) return;  // resent on the next connection
      if (code == pb::RATE_LIMITED || code == pb::STORAGE_UNAVAILABLE) {
        ready_.push_front(std::move(e));
        // Pause all sending once, for as long as the relay asks (or a second).
        if (rate_paused_) return;
        rate_paused_ = true;
        const auto wait = reply.error().retry_after_ms() ? std::chrono::milliseconds(reply.error().retry_after_ms())
                                                         : std::chrono::milliseconds(kRateRetry);
        auto timer = std::make_shared<asio::steady_timer>(ioc_, wait);
        timer->async_wait([this, timer](boost::system::error_code ec) {
          rate_paused_ = false;
          if (!ec && !stopping_) schedule_flush();
        });
        return;
      }
      if (code == pb::STALE_CHANNEL_KEY) {
        // The publishers' key moved on (or must, after a subscriber left): same post, new key,
        // once the channel's work (a rekey if the relay asks for one) is done.
        (void)store_->requeue(e.id);
        encrypt_queued_ = true;
        return channel_work(e.group_id, false);
      }
      // Refused for good: the message is marked so, and the person told (never shown as sent).
      (void)store_->unqueue(e.id);
      if (is_history_group(e.group_id)) return problem(relay_error(reply.error()));  // no message of the person's
      (void)store_->set_message_status(e.message_id, 0, api::FAILED);
      event([&](api::Event& ev) {
        auto* st = ev.mutable_status();
        st->set_conversation_id(to_str(e.group_id));
        st->set_message_id(to_str(e.message_id));
        st->set_status(api::FAILED);
      });
      return problem(relay_error(reply.error()));
    }
    schedule_flush();
    const std::uint64_t seq = reply.send_ok().seq();
    // Confirmations arriving together share one transaction; the SENT events wait for it.
    if (auto s = open_batch(); !s.ok()) return problem(api_error(s.error()));
    (void)store_->set_outbox_seq(e.id, seq);
    auto m = store_->message(e.message_id);
    if (m.ok() && *m && (*m)->status == api::QUEUED) {
      (void)store_->set_message_status(e.message_id, seq, api::SENT);
      event([&](api::Event& ev) {
        auto* st = ev.mutable_status();
        st->set_conversation_id(to_str(e.group_id));
        st->set_message_id(to_str(e.message_id));
        st->set_status(api::SENT);
        st->set_seq(seq);
      });
    }
  });
}

void Engine::own_application(const pb::Delivery& d, Conv& c) {
  // Which queued post this is: by the ciphertext sent (an index kept while sending; after a
  // restart, the outbox itself).
  std::optional<OutboxEntry> entry;
  auto hit = sent_index_.find(sent_key(as_bytes(d.payload())));
  if (hit != sent_index_.end()) {
    auto row = store_->outbox_entry(hit->second);
    if (row.ok() && *row && same_bytes((*row)->ciphertext, as_bytes(d.payload()))) entry = std::move(**row);
    sent_index_.erase(hit);
  }
  if (!entry) {
    auto entries = store_->outbox();
    if (!entries.ok()) return;
    for (auto& e : *entries) {
      if (same_bytes(e.ciphertext, as_bytes(d.payload()))) entry = std::move(e);
    }
  }
  if (!entry) return;
  const OutboxEntry& e = *entry;
  in_flight_.erase(e.id);
  if (c.group && e.epoch != c.group->epoch()) {
    // Overtaken by a commit: members are in the next epoch now. Same post, new encryption.
    (void)store_->requeue(e.id);
    encrypt_queued_ = true;
    schedule_flush();
    return;
  }
  (void)store_->unqueue(e.id);
  if (is_history_group(e.group_id)) return pump_history(e.group_id);  // a batch in place: the next one
  auto m = store_->message(e.message_id);
  if (m.ok() && *m) {
    (void)store_->set_message_status(e.message_id, d.seq(), std::max<int>((*m)->status, api::DELIVERED));
    event([&](api::Event& ev) {
      auto* st = ev.mutable_status();
      st->set_conversation_id(d.group_id());
      st->set_message_id(to_str(e.message_id));
      st->set_status(api::DELIVERED);
      st->set_seq(d.seq());
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Receiving

// A text post as this device shows it, from its verified author: a forward's original is checked
// like any member's (its author's chain and signature, and no write-down: its level not above
// `level_bound`). `historical` judges an original author whose chain has expired since as of its
// last valid second (history from another device is older than the certificates it carries).
Result<api::Message> Engine::verified_text(const api::Post& post, const identity::VerifiedDevice& from, std::uint64_t seq,
                                           int level_bound, bool historical) const {
  if (!post.has_text() || post.text().body().size() > kMaxText) return fail(Errc::malformed, "an empty or oversized post");
  if (post.message_id().size() != kMessageIdBytes) return fail(Errc::malformed, "a post without a valid id");
  api::Message message;
  message.set_message_id(post.message_id());
  message.set_conversation_id(post.conversation_id());
  message.set_seq(seq);
  *message.mutable_sender() = sender_of(from);
  message.set_sent_at_ms(post.sent_at_ms());
  message.set_text(post.text().body());
  message.set_reply_to(post.text().reply_to());
  message.set_status(api::RECEIVED);
  if (!post.text().has_forwarded()) return message;
  const auto& fwd = post.text().forwarded();
  idv1::Chain chain;
  if (!chain.ParseFromString(fwd.original_chain())) return fail(Errc::cert_malformed, "a forward's chain does not parse");
  Result<identity::VerifiedDevice> author = fail(Errc::cert_malformed, "a forward's chain names no device");
  if (historical) {
    idv1::DeviceCertificate device;
    if (device.ParseFromString(chain.device().body())) {
      author = verifier_->verify_member(identity::gchat_credential(as_bytes(fwd.original_chain())),
                                        as_bytes(device.device_key()));
    }
  } else {
    author = identity::verify_chain(chain, trust_anchor());
  }
  if (!author.ok()) return Unexpected{author.error()};
  GCHAT_TRY_STATUS(identity::verify_signature(identity::SignedKind::post, as_bytes(fwd.original().post()),
                                              as_bytes(fwd.original().signature()), author->device_key));
  api::Post original;
  if (!original.ParseFromString(fwd.original().post()) || !original.has_text()) {
    return fail(Errc::malformed, "a forwarded post does not parse");
  }
  if (static_cast<int>(original.level()) > level_bound) {
    return fail(Errc::policy_not_permitted, "a forward from a higher classification was dropped (write-down)");
  }
  message.set_text(original.text().body());
  auto* shown = message.mutable_forwarded();
  *shown->mutable_original_sender() = sender_of(*author);
  shown->set_original_sent_at_ms(original.sent_at_ms());
  shown->set_original_level(original.level());
  return message;
}

Status Engine::receive_post(const pb::Delivery& d, Conv& c, BytesView data, const identity::VerifiedDevice& from,
                            BytesView sender_chain) {
  api::Envelope envelope;
  api::Post post;
  if (!envelope.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return fail(Errc::malformed, "a message's envelope does not parse");
  }
  // The MLS signature has authenticated the sender; the post's own signature matters only if the
  // post is forwarded, and is checked then (by the forwarder and by every recipient of the forward).
  if (!post.ParseFromString(envelope.post())) return fail(Errc::malformed, "a post does not parse");
  if (post.conversation_id() != d.group_id()) {
    return fail(Errc::mls_wrong_group, "a post signed for another conversation was dropped");
  }
  if (post.message_id().size() != kMessageIdBytes) return fail(Errc::malformed, "a post without a valid id");
  if (post.has_receipt()) {
    if (c.channel) return {};  // channels have no receipts (subscribers do not post)
    api::Person reader = person_of(from.user);
    for (const auto& mid : post.receipt().read()) {
      auto m = store_->message(as_bytes(mid));
      if (!m.ok() || !*m) continue;
      auto msg = load_message(**m);
      if (!msg.ok() || !msg->outgoing() || msg->conversation_id() != d.group_id()) continue;
      GCHAT_TRY_STATUS(store_->set_message_status(as_bytes(mid), 0, api::READ));
      event([&](api::Event& ev) {
        auto* st = ev.mutable_status();
        st->set_conversation_id(d.group_id());
        st->set_message_id(mid);
        st->set_status(api::READ);
        st->set_seq((*m)->seq);
        *st->mutable_by() = reader;
      });
    }
    return {};
  }
  GCHAT_TRY(auto existing, store_->message(as_bytes(post.message_id())));
  if (existing) return {};  // sent again after an epoch change: already here
  GCHAT_TRY(auto message, verified_text(post, from, d.seq(), c.info.level(), false));
  api::LocalMessage local;
  *local.mutable_message() = message;
  *local.mutable_envelope() = envelope;
  local.set_sender_chain(to_str(sender_chain));
  local.set_conversation_level(c.info.level());
  GCHAT_TRY(auto row, store_->add_message(as_bytes(message.conversation_id()), as_bytes(message.message_id()), d.seq(),
                                          api::RECEIVED, false, as_bytes(local.SerializeAsString()), message.text()));
  (void)row;
  event([&](api::Event& ev) { *ev.mutable_message() = message; });
  return {};
}

// ---------------------------------------------------------------------------------------------
// Reading

void Engine::mark_read(std::uint64_t id, const api::MarkRead& r) {
  const Bytes gid = to_bytes(r.conversation_id());
  Conv* c = find(gid);
  if (!c) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  std::int64_t up_to = 0;
  if (!r.up_to_message_id().empty()) {
    auto m = store_->message(as_bytes(r.up_to_message_id()));
    if (!m.ok() || !*m) return respond_error(id, {api::NOT_FOUND, "no such message"});
    up_to = (*m)->order;
  } else {
    auto last = store_->history(gid, 0, 1);
    if (last.ok() && !last->empty()) up_to = last->back().order;
  }
  const std::int64_t before = store_->read_position(gid);
  if (up_to <= before) return respond(id, [](api::Response& resp) { resp.set_done(true); });
  auto recent = store_->history(gid, up_to + 1, kMaxReceipt);
  api::Post post;
  post.set_message_id(to_str(random_id()));
  post.set_sent_at_ms(now_ms());
  post.set_conversation_id(to_str(gid));
  post.set_level(c->info.level());
  auto* receipt = post.mutable_receipt();
  if (recent.ok()) {
    for (const auto& m : *recent) {
      if (m.order <= before) continue;
      auto msg = load_message(m);
      if (msg.ok() && !msg->outgoing()) receipt->add_read(msg->message_id());
    }
  }
  if (auto s = store_->set_read_position(gid, up_to); !s.ok()) {
    return respond_error(id, api_error(s.error()));
  }
  if (receipt->read_size() > 0 && c->group && !c->info.left()) {
    auto queued = queue_post(gid, std::move(post), {}, nullptr);
    if (!queued.ok()) return respond_error(id, api_error(queued.error()));
  }
  respond(id, [](api::Response& resp) { resp.set_done(true); });
}

void Engine::history(std::uint64_t id, const api::History& r) {
  const Bytes gid = to_bytes(r.conversation_id());
  if (!find(gid)) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  std::int64_t before = 0;
  if (!r.before_message_id().empty()) {
    auto m = store_->message(as_bytes(r.before_message_id()));
    if (!m.ok() || !*m) return respond_error(id, {api::NOT_FOUND, "no such message"});
    before = (*m)->order;
  }
  const std::uint32_t limit = page(r.limit());
  auto rows = store_->history(gid, before, limit);
  if (!rows.ok()) return respond_error(id, api_error(rows.error()));
  api::Messages out;
  if (rows->size() > limit) {
    out.set_more(true);
    rows->erase(rows->begin());
  }
  for (const auto& m : *rows) {
    auto msg = load_message(m);
    if (!msg.ok()) return respond_error(id, api_error(msg.error()));
    *out.add_messages() = std::move(*msg);
  }
  respond(id, [&](api::Response& resp) { *resp.mutable_messages() = std::move(out); });
}

void Engine::search(std::uint64_t id, const api::Search& r) {
  if (r.query().empty() || r.query().size() > 1024) return respond_error(id, {api::INVALID_ARGUMENT, "the query is empty or too long"});
  const std::uint32_t limit = page(r.limit());
  // The index matches word hashes; the words themselves are checked on the decrypted text.
  auto rows = store_->search(r.query(), as_bytes(r.conversation_id()), limit * 4);
  if (!rows.ok()) return respond_error(id, api_error(rows.error()));
  const auto words = index_words(r.query());
  api::Messages out;
  for (const auto& m : *rows) {
    auto msg = load_message(m);
    if (!msg.ok()) continue;
    const std::string text = fold_text(msg->text());
    const bool all = std::all_of(words.begin(), words.end(), [&](const std::string& w) { return text.find(w) != std::string::npos; });
    if (all) *out.add_messages() = std::move(*msg);
  }
  while (out.messages_size() > static_cast<int>(limit)) out.mutable_messages()->DeleteSubrange(0, 1);
  respond(id, [&](api::Response& resp) { *resp.mutable_messages() = std::move(out); });
}

}  // namespace gchat::client
