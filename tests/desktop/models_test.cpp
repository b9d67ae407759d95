#include "gchat/desktop/models.hpp"

#include <doctest/doctest.h>

#include "thai_translation.hpp"

using namespace gchat::desktop;
using gchat::desktop::testing::ThaiTranslation;
namespace idv1 = ::gchat::identity::v1;

namespace {

api::Person person(const std::string& agency, const std::string& user, idv1::Clearance c) {
  api::Person p;
  p.set_agency_id(agency);
  p.set_user_id(user);
  p.set_name_th("ชื่อ " + user);
  p.set_name_en("Name " + user);
  p.set_clearance(c);
  return p;
}

api::People directory() {
  api::People people;
  *people.add_people()->mutable_person() = person("moi", "self", idv1::TOP_SECRET);
  *people.add_people()->mutable_person() = person("moi", "alice", idv1::SECRET);
  *people.add_people()->mutable_person() = person("mof", "carol", idv1::CONFIDENTIAL);
  return people;
}

api::Message message(const std::string& conv, const std::string& id, std::int64_t at, bool outgoing = false) {
  api::Message m;
  m.set_conversation_id(conv);
  m.set_message_id(id);
  m.set_sent_at_ms(at);
  m.set_text("ข้อความ " + id);
  m.set_outgoing(outgoing);
  *m.mutable_sender()->mutable_person() = person("moi", "alice", idv1::SECRET);
  m.set_status(outgoing ? api::QUEUED : api::RECEIVED);
  return m;
}

// A change of the conversation's policy by alice, as the client core reports it.
api::Message policy_notice(idv1::Clearance from, idv1::Clearance to) {
  api::Message m = message("a", "n1", 5000);
  m.clear_text();
  auto* pc = m.mutable_notice()->mutable_policy();
  pc->set_old_level(from);
  pc->set_new_level(to);
  pc->set_old_title("ห้องลับ");
  pc->set_new_title("ห้องลับ");
  pc->add_old_allowed_agencies("moi");
  pc->add_new_allowed_agencies("moi");
  pc->set_declassified(to < from);
  return m;
}

}  // namespace

TEST_CASE("a policy change reads as one line naming who made it, in Thai and in English") {
  ThaiTranslation thai;
  Presentation p;
  const auto down = policy_notice(idv1::SECRET, idv1::UNCLASSIFIED);
  CHECK(p.notice(down) == QStringLiteral("ลดชั้นความลับ: ลับมาก → ทั่วไป โดย ชื่อ alice"));
  CHECK(p.notice(policy_notice(idv1::CONFIDENTIAL, idv1::SECRET)) ==
        QStringLiteral("เปลี่ยนชั้นความลับ: ลับ → ลับมาก โดย ชื่อ alice"));
  auto renamed = policy_notice(idv1::SECRET, idv1::SECRET);
  renamed.mutable_notice()->mutable_policy()->set_new_title("งบ %1 ปี 2570");  // typed as is, never a placeholder
  CHECK(p.notice(renamed) == QStringLiteral("เปลี่ยนชื่อกลุ่ม: “ห้องลับ” → “งบ %1 ปี 2570” โดย ชื่อ alice"));
  auto opened = policy_notice(idv1::SECRET, idv1::CONFIDENTIAL);
  opened.mutable_notice()->mutable_policy()->clear_new_allowed_agencies();
  CHECK(p.notice(opened) ==
        QStringLiteral("ลดชั้นความลับ: ลับมาก → ลับ; เปิดให้หน่วยงานอื่นเข้าร่วม: moi → ทุกหน่วยงาน โดย ชื่อ alice"));
  CHECK(p.notice(message("a", "m1", 1000)).isEmpty());  // not a notice
  auto unknown = message("a", "n9", 1000);
  unknown.mutable_notice();  // a kind of notice this app does not know
  CHECK(p.notice(unknown) == QStringLiteral("เปลี่ยนการตั้งค่าการสนทนา โดย ชื่อ alice"));

  thai.remove();
  p.language = Language::english;
  CHECK(p.notice(down) == QStringLiteral("Declassified: SECRET → UNCLASSIFIED by Name alice"));
  CHECK(p.notice(renamed) == QStringLiteral("Renamed: “ห้องลับ” → “งบ %1 ปี 2570” by Name alice"));
  CHECK(p.notice(opened) == QStringLiteral(
                                "Declassified: SECRET → CONFIDENTIAL; Opened to more agencies: moi → any agency by Name alice"));
}

TEST_CASE("a notice is a line of the history and the conversation's last message, not an empty bubble") {
  Presentation p;
  ConversationModel convs(&p);
  api::Conversations list;
  auto* c = list.add_conversations();
  c->set_conversation_id("a");
  c->set_title("ห้องลับ");
  c->set_kind(idv1::GROUP);
  c->set_level(idv1::SECRET);
  convs.reset(list);
  MessageModel messages(&p, &convs);
  messages.reset(QByteArray("a"), {});

  const auto down = policy_notice(idv1::SECRET, idv1::UNCLASSIFIED);
  messages.add(down);
  convs.on_message(down, true);
  REQUIRE(messages.rowCount() == 1);
  const auto row = messages.index(0);
  CHECK(row.data(MessageModel::NoticeRole).toBool());
  CHECK(row.data(MessageModel::DeclassifiedRole).toBool());
  CHECK(row.data(MessageModel::NoticeLevelRole).toInt() == idv1::UNCLASSIFIED);
  CHECK(row.data(MessageModel::TextRole).toString() == p.notice(down));
  CHECK(convs.index(0).data(ConversationModel::LastTextRole).toString() == p.notice(down));
  CHECK(convs.index(0).data(ConversationModel::LastSenderRole).toString().isEmpty());  // the line names alice

  // The conversation event that follows carries the new level; the last message stays the notice.
  api::Conversation after = list.conversations(0);
  after.set_level(idv1::UNCLASSIFIED);
  convs.upsert(after);
  CHECK(convs.index(0).data(ConversationModel::LevelRole).toInt() == idv1::UNCLASSIFIED);
  CHECK(convs.index(0).data(ConversationModel::LastTextRole).toString() == p.notice(down));

  // Raising is not a declassification; admitting more agencies is, even at the same level.
  auto raised = policy_notice(idv1::CONFIDENTIAL, idv1::SECRET);
  raised.set_message_id("n2");
  messages.add(raised);
  REQUIRE(messages.rowCount() == 2);
  CHECK(messages.index(1).data(MessageModel::NoticeRole).toBool());
  CHECK_FALSE(messages.index(1).data(MessageModel::DeclassifiedRole).toBool());
  auto wider = policy_notice(idv1::SECRET, idv1::SECRET);
  wider.set_message_id("n3");
  wider.mutable_notice()->mutable_policy()->add_new_allowed_agencies("mof");
  wider.mutable_notice()->mutable_policy()->set_declassified(false);
  messages.add(wider);
  CHECK(messages.index(messages.rowCount() - 1).data(MessageModel::DeclassifiedRole).toBool());
  // A plain message is no notice.
  messages.add(message("a", "m9", 9000));
  CHECK_FALSE(messages.index(messages.rowCount() - 1).data(MessageModel::NoticeRole).toBool());
}

TEST_CASE("the member picker refuses people not cleared for the level, and oneself") {
  Presentation p;
  p.self_agency = "moi";
  p.self_user = "self";
  PeopleModel people(&p);
  people.reset(directory());
  people.set_level(idv1::SECRET);
  CHECK(people.index(0).data(PeopleModel::ClearedRole).toBool());                  // self is cleared...
  CHECK_FALSE(people.toggle(0));                                                   // ...but not pickable
  CHECK(people.toggle(1));                                                         // alice: SECRET
  CHECK_FALSE(people.toggle(2));                                                   // carol: CONFIDENTIAL
  CHECK(people.index(2).data(PeopleModel::ClearedRole).toBool() == false);
  CHECK(people.selected_count() == 1);
  CHECK(people.selectedNames() == QStringLiteral("ชื่อ alice"));
}

TEST_CASE("raising the level unpicks people no longer cleared for it") {
  Presentation p;
  PeopleModel people(&p);
  people.reset(directory());
  people.set_level(idv1::CONFIDENTIAL);
  CHECK(people.toggle(1));
  CHECK(people.toggle(2));
  CHECK(people.selected_count() == 2);
  people.set_level(idv1::SECRET);
  CHECK(people.selected_count() == 1);
  CHECK(people.selected_people().front().user_id() == "alice");
  // The picks survive a new search.
  people.reset(api::People{});
  CHECK(people.selected_count() == 1);
}

TEST_CASE("conversations are ordered by their last message and count unread incoming messages") {
  Presentation p;
  ConversationModel convs(&p);
  api::Conversations list;
  for (const char* id : {"a", "b"}) {
    auto* c = list.add_conversations();
    c->set_conversation_id(id);
    c->set_title(std::string("ห้อง ") + id);
    c->set_kind(idv1::GROUP);
  }
  *list.mutable_conversations(0)->mutable_last_message() = message("a", "1", 1000);
  *list.mutable_conversations(1)->mutable_last_message() = message("b", "2", 2000);
  convs.reset(list);
  CHECK(convs.idAt(0) == QStringLiteral("62"));  // "b", the newest
  convs.on_message(message("a", "3", 3000), false);
  CHECK(convs.idAt(0) == QStringLiteral("61"));
  CHECK(convs.index(0).data(ConversationModel::UnreadRole).toInt() == 1);
  convs.on_message(message("a", "4", 4000, true), false);  // own messages are never unread
  CHECK(convs.total_unread() == 1);
  convs.clear_unread(QByteArray("a"));
  CHECK(convs.total_unread() == 0);
  CHECK(convs.index(0).data(ConversationModel::LastTextRole).toString() == QStringLiteral("ข้อความ 4"));
}

TEST_CASE("a message's status only moves forward and replies quote the message answered") {
  Presentation p;
  ConversationModel convs(&p);
  MessageModel messages(&p, &convs);
  api::Messages history;
  *history.add_messages() = message("a", "m1", 1000);
  messages.reset(QByteArray("a"), history);
  auto reply = message("a", "m2", 2000, true);
  reply.set_reply_to("m1");
  messages.add(reply);
  messages.add(message("other", "x", 3000));  // another conversation: not here
  REQUIRE(messages.rowCount() == 2);
  CHECK(messages.index(1).data(MessageModel::ReplyTextRole).toString() == QStringLiteral("ข้อความ m1"));
  CHECK(messages.index(1).data(MessageModel::ReplySenderRole).toString() == QStringLiteral("ชื่อ alice"));

  api::StatusChanged s;
  s.set_conversation_id("a");
  s.set_message_id("m2");
  s.set_status(api::READ);
  messages.set_status(s);
  s.set_status(api::DELIVERED);  // late, out of order
  messages.set_status(s);
  CHECK(messages.index(1).data(MessageModel::StatusRole).toInt() == api::READ);
}

TEST_CASE("names and agencies follow the language setting") {
  Presentation p;
  auto who = person("moi", "alice", idv1::SECRET);
  who.set_agency_name_th("กระทรวงมหาดไทย");
  who.set_agency_name_en("Ministry of Interior");
  CHECK(p.name(who) == QStringLiteral("ชื่อ alice"));
  CHECK(p.agency(who) == QStringLiteral("กระทรวงมหาดไทย"));
  p.language = Language::english;
  CHECK(p.name(who) == QStringLiteral("Name alice"));
  CHECK(p.agency(who) == QStringLiteral("Ministry of Interior"));
}
