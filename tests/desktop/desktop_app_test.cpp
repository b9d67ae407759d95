// The desktop app as a person uses it, on the offscreen platform: the real App (views, backend,
// client core) against a real relay, with real command-line clients on the other side. Driven
// through its window with mouse clicks and typed keys, checked through what the views show, and
// photographed: each main screen is saved as a PNG in the screenshots folder.
//
// Started by desktop_app.sh, which builds the world (root, agencies, administrators, relay, two
// CLI users, an enrolment code) and passes it in the environment.

#include <QDir>
#include <QProcess>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QtQuickTest/quicktest.h>
#include <QtTest>

#include "gchat/desktop/app.hpp"

using gchat::desktop::App;

namespace {

constexpr int kNetworkMs = 30000;

QString env(const char* name) {
  const QString v = qEnvironmentVariable(name);
  if (v.isEmpty()) qFatal("missing environment variable %s (run through desktop_app.sh)", name);
  return v;
}

}  // namespace

class DesktopAppTest : public QObject {
  Q_OBJECT

 private:
  std::unique_ptr<App> app_;
  QString world_, shots_, cli_, admin_;
  int shot_ = 0;

  QQuickWindow* window() { return app_->window(); }
  gchat::desktop::Backend& backend() { return app_->backend(); }

  // Visible items by objectName, in the visual tree (pages, list delegates, popups in the overlay).
  QQuickItem* find_in(QQuickItem* root, const QString& name) {
    if (!root) return nullptr;
    if (root->objectName() == name && root->isVisible()) return root;
    for (QQuickItem* child : root->childItems()) {
      if (QQuickItem* found = find_in(child, name)) return found;
    }
    return nullptr;
  }
  QQuickItem* item(const QString& name) {
    return find_in(window()->contentItem(), name);
  }
  QObject* object(const QString& name) { return window()->findChild<QObject*>(name); }
  // Whether a popup (dialog) of that name is open.
  bool opened(const QString& name) {
    QObject* popup = object(name);
    return popup && popup->property("opened").toBool();
  }

  void click(const QString& name) {
    // Where an item is once laid out: a popup that has just opened places its items on the next polish.
    QVERIFY(QQuickTest::qWaitForPolish(window()));
    QQuickItem* target = item(name);
    QVERIFY2(target, qPrintable("no visible item " + name));
    QVERIFY2(target->isEnabled(), qPrintable(name + " is disabled"));
    const QPointF centre = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
    QTest::mouseClick(window(), Qt::LeftButton, Qt::NoModifier, centre.toPoint());
  }
  void type_into(const QString& name, const QString& text) {
    QQuickItem* target = item(name);
    QVERIFY2(target, qPrintable("no visible item " + name));
    target->forceActiveFocus();
    QTRY_VERIFY(target->hasActiveFocus());
    type_text(text);
  }
  // Characters as a keyboard layout sends them (Thai included): one key event per character, with
  // its text, delivered to the item with active focus.
  void type_text(const QString& text) {
    for (const QChar c : text) {
      QKeyEvent press(QEvent::KeyPress, 0, Qt::NoModifier, QString(c));
      QKeyEvent release(QEvent::KeyRelease, 0, Qt::NoModifier, QString(c));
      QCoreApplication::sendEvent(window(), &press);
      QCoreApplication::sendEvent(window(), &release);
    }
  }
  void screenshot(const QString& name) {
    QTest::qWait(150);  // let bindings and the scene settle
    const QImage image = window()->grabWindow();
    QVERIFY(!image.isNull());
    const QString path = QStringLiteral("%1/%2-%3.png").arg(shots_).arg(++shot_, 2, 10, QChar('0')).arg(name);
    QVERIFY2(image.save(path), qPrintable("cannot save " + path));
  }
  // A command-line tool in the world folder; its standard output.
  QString run(const QString& program, const QStringList& args, int timeout_ms = 60000) {
    QProcess p;
    p.setWorkingDirectory(world_);
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.start(program, args);
    if (!p.waitForFinished(timeout_ms) || p.exitCode() != 0) {
      qWarning().noquote() << program << args.join(' ') << "failed:" << p.readAllStandardError();
      return QStringLiteral("<failed>");
    }
    return QString::fromUtf8(p.readAllStandardOutput());
  }
  QString gchat(const QStringList& args) { return run(cli_, args); }
  QStringList admin_args() {
    return {"--admin-key", "admin-moi.key", "--admin-chain", "admin-moi.chain", "--passphrase-file", "pass",
            "--port", env("GCHAT_TEST_PORT"), "--ca", "tls/ca.pem"};
  }
  int messages_count() { return backend().messages()->property("count").toInt(); }
  QString last_message_text() {
    auto* m = qobject_cast<QAbstractItemModel*>(backend().messages());
    return m->index(m->rowCount() - 1, 0).data(gchat::desktop::MessageModel::TextRole).toString();
  }
  QString conversation_id(const QString& title) {
    auto* m = qobject_cast<QAbstractItemModel*>(backend().conversations());
    for (int r = 0; r < m->rowCount(); ++r) {
      if (m->index(r, 0).data(gchat::desktop::ConversationModel::TitleRole).toString() == title) {
        return m->index(r, 0).data(gchat::desktop::ConversationModel::IdRole).toString();
      }
    }
    return {};
  }

 private slots:
  void initTestCase() {
    world_ = env("GCHAT_TEST_WORLD");
    shots_ = env("GCHAT_TEST_SHOTS");
    cli_ = env("GCHAT_TEST_CLI");
    admin_ = env("GCHAT_TEST_ADMIN");
    QDir().mkpath(shots_);
    gchat::desktop::StartOptions options;
    options.relay = "127.0.0.1:" + env("GCHAT_TEST_PORT");
    options.ca_file = world_ + "/tls/ca.pem";
    options.root_key_hex = env("GCHAT_TEST_ROOT");
    options.data_dir = world_ + "/nida-desktop";
    options.device_name = "nida-desktop";
    options.kdf = "interactive";
    app_ = std::make_unique<App>(options);
    QVERIFY(app_->start());
    window()->resize(1180, 760);
    window()->show();
    QVERIFY(QTest::qWaitForWindowExposed(window()));
    QCOMPARE(backend().stage(), QStringLiteral("unlock"));
  }

  // Unlock (first time: choose the passphrase), enrol with the code, wait for the administrator.
  void enrolWithCode() {
    type_into("passphraseField", "รหัสผ่านเครื่องนิดา 2569");
    type_into("confirmField", "รหัสผ่านเครื่องนิดา 2569");
    screenshot("unlock");
    click("unlockButton");
    QTRY_COMPARE_WITH_TIMEOUT(backend().stage(), QStringLiteral("enrol"), kNetworkMs);
    type_into("codeField", env("GCHAT_TEST_CODE"));
    click("enrolButton");
    QTRY_VERIFY2_WITH_TIMEOUT(backend().enrol_waiting(), qPrintable(backend().error()), kNetworkMs);
    screenshot("enrol-waiting");
    QVERIFY(run(admin_, QStringList{"enrol", "complete"} + admin_args()) != "<failed>");
    QTRY_COMPARE_WITH_TIMEOUT(backend().stage(), QStringLiteral("main"), kNetworkMs);
    QTRY_COMPARE_WITH_TIMEOUT(backend().connection_state(), 3, kNetworkMs);
    QCOMPARE(item("connectionText")->property("text").toString(), QStringLiteral("เชื่อมต่อแล้ว"));
    QCOMPARE(backend().self_name(), QStringLiteral("นิดา"));
  }

  // A CLI user adds her to a group and writes; she opens it, answers in Thai, the CLI reads and replies.
  void conversationWithCliUser() {
    QTest::qWait(1500);  // her device's key packages are on the relay once connected
    QVERIFY(gchat({"--data", "alice", "create", "--kind", "group", "--title", "ทีมงบประมาณ", "--member", "moi/nida"})
                .contains("moi/nida"));
    QVERIFY(gchat({"--data", "alice", "send", "ทีมงบประมาณ", "สวัสดีครับ คุณนิดา เรื่องงบประมาณปีหน้า"}).contains("sent"));
    QTRY_VERIFY2_WITH_TIMEOUT(item("conversation-ทีมงบประมาณ") != nullptr, qPrintable(backend().error()), kNetworkMs);
    click("conversation-ทีมงบประมาณ");
    QTRY_COMPARE(backend().current_title(), QStringLiteral("ทีมงบประมาณ"));
    QTRY_VERIFY2_WITH_TIMEOUT(messages_count() >= 1, qPrintable(backend().error()), kNetworkMs);
    QCOMPARE(last_message_text(), QStringLiteral("สวัสดีครับ คุณนิดา เรื่องงบประมาณปีหน้า"));
    QVERIFY(item("senderName"));
    QCOMPARE(item("senderName")->property("text").toString(), QStringLiteral("อลิซ"));

    // Thai input: a consonant with a vowel and a tone mark above it is one cursor step.
    type_into("composer", "กี่");
    QQuickItem* composer = item("composer");
    QCOMPARE(composer->property("cursorPosition").toInt(), 3);
    QTest::keyClick(window(), Qt::Key_Left);
    QCOMPARE(composer->property("cursorPosition").toInt(), 0);
    QTest::keyClick(window(), Qt::Key_Right);
    QCOMPARE(composer->property("cursorPosition").toInt(), 3);
    composer->setProperty("text", QString());

    type_into("composer", "ขอบคุณค่ะ ประชุมบ่ายนี้ที่กระทรวงการคลัง");
    QTest::keyClick(window(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(last_message_text(), QStringLiteral("ขอบคุณค่ะ ประชุมบ่ายนี้ที่กระทรวงการคลัง"), kNetworkMs);
    QTRY_VERIFY2_WITH_TIMEOUT(item("messageStatus") != nullptr, qPrintable(backend().error()), kNetworkMs);
    const QString heard = gchat({"--data", "alice", "sync", "--seconds", "4"});
    QVERIFY2(heard.contains("นิดา (moi, ลับที่สุด / Top Secret): ขอบคุณค่ะ ประชุมบ่ายนี้ที่กระทรวงการคลัง"),
             qPrintable(heard));
    QVERIFY(gchat({"--data", "alice", "send", "ทีมงบประมาณ", "รับทราบครับ เจอกันบ่ายสองโมง"}).contains("sent"));
    QTRY_COMPARE_WITH_TIMEOUT(last_message_text(), QStringLiteral("รับทราบครับ เจอกันบ่ายสองโมง"), kNetworkMs);
    screenshot("chat");
  }

  // A Secret group: the picker shows who is cleared; the uncleared cannot be picked; the banner shows.
  void createClassifiedGroup() {
    QTest::keySequence(window(), QKeySequence("Ctrl+N"));
    QTRY_VERIFY(opened("newGroupDialog"));
    type_into("groupNameField", "ห้องลับมาก");
    QObject* level = item("levelCombo");
    QVERIFY(level);
    level->setProperty("currentIndex", 2);  // ลับมาก / SECRET
    QCOMPARE(backend().people()->property("level").toInt(), 2);
    type_into("peopleQuery", "ali");  // alice (moi, Secret)
    QTRY_VERIFY2_WITH_TIMEOUT(item("person-alice"), qPrintable(backend().error()), kNetworkMs);
    QCOMPARE(backend().people()->property("selectedCount").toInt(), 0);
    click("person-alice");
    QTRY_COMPARE(backend().people()->property("selectedCount").toInt(), 1);
    item("peopleQuery")->setProperty("text", QString());
    type_into("peopleQuery", "แคโ");  // carol (mof, Confidential), by her Thai name
    QTRY_VERIFY2_WITH_TIMEOUT(item("person-carol"), qPrintable(backend().error()), kNetworkMs);
    QVERIFY(!item("person-carol")->isEnabled());  // not cleared for Secret: cannot be picked
    QCOMPARE(backend().people()->property("selectedCount").toInt(), 1);  // alice stays picked
    screenshot("new-group");
    click("createGroupButton");
    QTRY_COMPARE_WITH_TIMEOUT(backend().current_title(), QStringLiteral("ห้องลับมาก"), kNetworkMs);
    QCOMPARE(backend().current_level(), 2);
    QQuickItem* banner = item("topBanner");
    QVERIFY(banner && banner->isVisible());
    QVERIFY(item("composerBanner") && item("composerBanner")->isVisible());
    type_into("composer", "แผนงานลับมาก ห้ามเผยแพร่");
    QTest::keyClick(window(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(last_message_text(), QStringLiteral("แผนงานลับมาก ห้ามเผยแพร่"), kNetworkMs);
    screenshot("secret-group");
    QVERIFY(gchat({"--data", "alice", "sync", "--seconds", "4"}).contains("แผนงานลับมาก"));
  }

  // Forwarding the Secret message into the unclassified group is refused, with the reason.
  void forwardIntoLowerLevelIsRefused() {
    const QString team = conversation_id("ทีมงบประมาณ");
    QVERIFY(!team.isEmpty());
    const QString why = backend().forwardProblem(team);
    QVERIFY2(why.contains("ลับมาก"), qPrintable(why));
    QQuickItem* list = item("messageList");
    list->forceActiveFocus();
    list->setProperty("currentIndex", messages_count() - 1);
    QTest::keyClick(window(), Qt::Key_F);
    QTRY_VERIFY(opened("forwardDialog"));
    click("forward-ทีมงบประมาณ");
    QTRY_VERIFY(item("forwardWhy") && item("forwardWhy")->property("text").toString().contains("ลับมาก"));
    QVERIFY(opened("forwardDialog"));  // refused: nothing sent, the dialog stays with the reason
    screenshot("forward-refused");
    QTest::keyClick(window(), Qt::Key_Escape);
    QTRY_VERIFY(!opened("forwardDialog"));
  }

  // Search finds a Thai word inside a sentence.
  void searchThai() {
    QTest::keySequence(window(), QKeySequence("Ctrl+F"));
    type_into("searchField", "ประชุม");
    QTest::keyClick(window(), Qt::Key_Return);
    QTRY_VERIFY2_WITH_TIMEOUT(backend().search_results()->property("count").toInt() >= 1, qPrintable(backend().error()), kNetworkMs);
    screenshot("search");
  }

  // Channels: the agency's channel is offered; subscribed, it reads without a composer.
  void channel() {
    click("channelsTab");
    QTRY_VERIFY2_WITH_TIMEOUT(item("subscribe-ประกาศกระทรวง"), qPrintable(backend().error()), kNetworkMs);
    click("subscribe-ประกาศกระทรวง");
    QTRY_VERIFY2_WITH_TIMEOUT(!conversation_id("ประกาศกระทรวง").isEmpty(), qPrintable(backend().error()), kNetworkMs);
    QVERIFY(gchat({"--data", "alice", "send", "ประกาศกระทรวง", "ประกาศ: ปิดสำนักงานวันศุกร์"}).contains("sent"));
    backend().openConversation(conversation_id("ประกาศกระทรวง"));
    QTRY_COMPARE_WITH_TIMEOUT(last_message_text(), QStringLiteral("ประกาศ: ปิดสำนักงานวันศุกร์"), kNetworkMs);
    QVERIFY(!backend().current_can_post());
    QVERIFY(item("readOnlyNote"));
    QVERIFY(!item("composer"));
    screenshot("channel");
  }

  // The clearance officer's screens, after importing the administrator key: alice goes down to ลับ.
  void clearanceOfficer() {
    click("adminTab");
    type_into("adminKeyPath", world_ + "/admin-moi.key");
    type_into("adminChainPath", world_ + "/admin-moi.chain");
    type_into("adminKeyPass", "correct horse battery staple");
    click("importAdminButton");
    QTRY_VERIFY2_WITH_TIMEOUT(backend().clearance_officer(), qPrintable(backend().error()), kNetworkMs);
    type_into("adminQuery", "alice");
    QTest::keyClick(window(), Qt::Key_Return);
    QTRY_VERIFY2_WITH_TIMEOUT(backend().admin_people()->property("count").toInt() == 1, qPrintable(backend().error()), kNetworkMs);
    QQuickItem* list = item("adminPeople");
    list->setProperty("currentIndex", 0);
    QTRY_COMPARE(item("adminPersonName")->property("text").toString(), QStringLiteral("อลิซ"));
    item("newClearanceCombo")->setProperty("currentIndex", 1);
    click("changeClearanceButton");
    QTRY_VERIFY(opened("clearanceConfirm"));
    screenshot("clearance-officer");
    click("clearanceConfirmYes");
    QTRY_VERIFY(!opened("clearanceConfirm"));
    // The relay applies it; the directory then shows the renewed certificate's clearance.
    QTRY_VERIFY2_WITH_TIMEOUT(
        backend().admin_people()->property("count").toInt() == 1 &&
            qobject_cast<QAbstractItemModel*>(backend().admin_people())
                    ->index(0, 0).data(gchat::desktop::PeopleModel::ClearanceRole).toInt() == 1,
        qPrintable(backend().error()), kNetworkMs);
  }

  // Settings: English, then the same screens read in English; bigger text keeps the composer in view.
  void switchLanguage() {
    QTest::keySequence(window(), QKeySequence("Ctrl+5"));
    QTRY_VERIFY(item("englishLanguage"));
    QCOMPARE(item("chatsTab")->property("text").toString(), QStringLiteral("แชท"));
    click("englishLanguage");
    QTRY_COMPARE(item("chatsTab")->property("text").toString(), QStringLiteral("Chats"));
    QCOMPARE(item("connectionText")->property("text").toString(), QStringLiteral("Connected"));
    QCOMPARE(backend().self_name(), QStringLiteral("nida"));
    screenshot("settings-english");
    QTest::keySequence(window(), QKeySequence("Ctrl+1"));
    backend().openConversation(conversation_id("ห้องลับมาก"));
    QTRY_COMPARE(backend().current_level(), 2);
    backend().setFontScale(1.5);
    QTest::qWait(200);
    QQuickItem* composer = item("composer");
    QVERIFY(composer);
    const QPointF bottom = composer->mapToScene(QPointF(0, composer->height()));
    QVERIFY(bottom.y() <= window()->height());
    screenshot("secret-group-english-150");
    backend().setFontScale(1.0);
    backend().setLanguage("th");
  }

  // The creator of the Secret group (she is its admin) lowers it to ลับ from the app, after a warning
  // that says what follows: the history shows who declassified it as a line in the new level's
  // colour, both banners follow the new level, and the conversation list previews the line.
  void declassifyGroup() {
    QTest::keySequence(window(), QKeySequence("Ctrl+1"));
    backend().openConversation(conversation_id("ห้องลับมาก"));
    QTRY_COMPARE(backend().current_level(), 2);
    QTRY_VERIFY(backend().current_is_admin());
    QTRY_VERIFY2_WITH_TIMEOUT(messages_count() >= 1, qPrintable(backend().error()), kNetworkMs);
    QTRY_VERIFY_WITH_TIMEOUT(!item("toast"), 6000);  // the clearance officer's note, over the banner
    click("moreButton");
    QTRY_VERIFY(opened("moreMenu"));
    click("changeConversationItem");
    QTRY_VERIFY(opened("changeConversationDialog"));
    QCOMPARE(item("changeTitleField")->property("text").toString(), QStringLiteral("ห้องลับมาก"));
    QVERIFY(!item("declassifyWarning"));
    item("changeLevelCombo")->setProperty("currentIndex", 1);  // ลับ / CONFIDENTIAL
    QTRY_VERIFY(item("declassifyWarning"));
    QVERIFY(item("declassifyWarning")->property("text").toString().contains("ลับมาก"));
    screenshot("declassify-dialog");
    click("changeConversationButton");
    QTRY_VERIFY(!opened("changeConversationDialog"));

    const QString line = QStringLiteral("ลดชั้นความลับ: ลับมาก → ลับ โดย นิดา");
    QTRY_COMPARE_WITH_TIMEOUT(last_message_text(), line, kNetworkMs);
    QTRY_COMPARE_WITH_TIMEOUT(backend().current_level(), 1, kNetworkMs);
    QTRY_VERIFY(item("noticeLine"));
    QVERIFY(item("noticeText")->property("text").toString().contains(line));
    QCOMPARE(item("topBanner")->property("level").toInt(), 1);
    QCOMPARE(item("composerBanner")->property("level").toInt(), 1);
    auto* convs = qobject_cast<gchat::desktop::ConversationModel*>(backend().conversations());
    const int row = convs->rowOf(conversation_id("ห้องลับมาก"));
    QVERIFY(row >= 0);
    QCOMPARE(convs->index(row, 0).data(gchat::desktop::ConversationModel::LastTextRole).toString(), line);
    QCOMPARE(convs->index(row, 0).data(gchat::desktop::ConversationModel::LevelRole).toInt(), 1);
    screenshot("declassified");

    // In English, the same line.
    backend().setLanguage("en");
    QTRY_COMPARE(last_message_text(), QStringLiteral("Declassified: SECRET → CONFIDENTIAL by nida"));
    screenshot("declassified-english");
    backend().setLanguage("th");
    QTRY_COMPARE(last_message_text(), line);
    // Read where it is shown, though the list and the conversation event that follow the change
    // can be made before the read mark of the notice.
    QCOMPARE(convs->index(convs->rowOf(conversation_id("ห้องลับมาก")), 0)
                 .data(gchat::desktop::ConversationModel::UnreadRole).toInt(), 0);
  }

  void cleanupTestCase() { app_.reset(); }
};

int main(int argc, char** argv) {
  gchat::desktop::set_application_identity();
  QGuiApplication application(argc, argv);
  gchat::desktop::set_application_look();
  DesktopAppTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "desktop_app_test.moc"
