// The desktop app as a person uses it, on the offscreen platform: the real App (views, backend,
// client core) against a real relay, with real command-line clients on the other side. Driven
// through its window with mouse clicks and typed keys, checked through what the views show, and
// photographed: each main screen is saved as a PNG in the screenshots folder.
//
// Started by desktop_app.sh, which builds the world (root, agencies, administrators, an issuing
// service's key, relay, two CLI users, an enrolment code) and passes it in the environment.

#include <QSignalSpy>

#include "ui_driver.hpp"

using gchat::desktop::App;
using gchat::desktop::testing::env;
using gchat::desktop::testing::kNetworkMs;

class DesktopAppTest : public gchat::desktop::testing::UiDriver {
  Q_OBJECT

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

  // My devices: she links a second device (a command-line one) from the app, sees both in the
  // dialog opened from her name in the header, and removes the second one after a confirmation that
  // names it and shows its key; it is then refused by the server.
  void myDevices() {
    const QString phone = QStringLiteral("nida-phone");
    QVERIFY(gchat({"--data", phone, "init", "--relay", "127.0.0.1:" + env("GCHAT_TEST_PORT"), "--ca", "tls/ca.pem",
                   "--root-key", env("GCHAT_TEST_ROOT"), "--device-name", phone, "--kdf", "interactive"}) != "<failed>");
    const QString key = gchat({"--data", phone, "link", "request"}).trimmed().section('\n', -1);
    QCOMPARE(key.size(), 64);
    QSignalSpy approved(&backend(), &gchat::desktop::Backend::linkApproved);
    backend().approveLink(key, phone);
    QTRY_VERIFY2_WITH_TIMEOUT(approved.count() == 1, qPrintable(backend().error()), kNetworkMs);
    QVERIFY(gchat({"--data", phone, "link", "complete", approved.first().first().toString()}).contains("linked as"));
    // Online once, the new device is added to her conversations by this one. Before any clearance
    // changes: a newcomer refuses the Welcome of a group where an absent member still holds a
    // superseded certificate (cert_revoked), and a link approved while every conversation has a
    // commit in flight is dropped (both client-core).
    QString phone_said, listed;
    const bool added = eventually([&] {
      phone_said += output_of(cli_, {"--data", phone, "sync", "--seconds", "2"});
      listed = gchat({"--data", phone, "conversations"});
      return listed.contains("ทีมงบประมาณ") && listed.contains("ห้องลับมาก");
    }, 3 * kNetworkMs);
    QVERIFY2(added, qPrintable(listed + " / " + phone_said + " / " + backend().error()));

    QTRY_VERIFY_WITH_TIMEOUT(!item("toast"), 6000);
    click("profileButton");
    QTRY_VERIFY(opened("profileMenu"));
    click("myDevicesItem");
    QTRY_VERIFY(opened("devicesDialog"));
    QTRY_VERIFY2_WITH_TIMEOUT(item("device-nida-phone") && item("device-nida-desktop"),
                              qPrintable(backend().property("devicesError").toString()), kNetworkMs);
    QVERIFY(!item("remove-nida-desktop"));  // never this device
    auto* devices = qobject_cast<gchat::desktop::DeviceModel*>(backend().devices());
    QCOMPARE(devices->get(0).value("name").toString(), QStringLiteral("nida-desktop"));
    const QString fingerprint = devices->get(1).value("fingerprint").toString();
    QCOMPARE(fingerprint.size(), 19);  // "ab12 cd34 ef56 7890"
    screenshot("my-devices");

    click("remove-nida-phone");
    QTRY_VERIFY(opened("removeDeviceConfirm"));
    const QString question = object("removeDeviceConfirm")->property("text").toString();
    QVERIFY2(question.contains("nida-phone") && question.contains(fingerprint), qPrintable(question));
    screenshot("remove-device-confirm");
    click("removeDeviceConfirmYes");
    QTRY_VERIFY(!opened("removeDeviceConfirm"));
    QTRY_VERIFY2_WITH_TIMEOUT(devices->get(1).value("revoked").toBool(),
                              qPrintable(backend().property("devicesError").toString()), kNetworkMs);
    QVERIFY(!item("remove-nida-phone"));
    QVERIFY(backend().property("devicesError").toString().isEmpty());
    bool synced = true;
    const QString refused = output_of(cli_, {"--data", phone, "sync", "--seconds", "3"}, &synced);
    QVERIFY2(!synced && refused.contains("REVOKED"), qPrintable(refused));
    screenshot("device-removed");
    click("devicesClose");
    QTRY_VERIFY(!opened("devicesDialog"));
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

  // A clearance officer lowers her clearance (ลับที่สุด → ลับมาก) with a renewed certificate of only
  // 5 days, as if the agency's issuing service were not running: the header's badge follows at
  // once, a notice says what changed and stays until she acknowledges it, a warning says that this
  // device's certificate ends soon and why (she holds an administrator key: check the service).
  // Every group of hers is at or below ลับมาก, so she keeps them all and goes on writing.
  void clearanceChangedByOfficer() {
    QTest::keySequence(window(), QKeySequence("Ctrl+1"));
    QTRY_VERIFY_WITH_TIMEOUT(!item("toast"), 6000);
    QCOMPARE(item("selfLevelBadge")->property("level").toInt(), 3);
    QVERIFY(!item("clearanceNotice"));
    QVERIFY(!item("expiryWarning"));
    QVERIFY(run(admin_, QStringList{"clearance", "set", "--user", "moi/nida", "--clearance", "secret", "--days", "5"} +
                            admin_args()) != "<failed>");
    QTRY_COMPARE_WITH_TIMEOUT(backend().self_level(), 2, kNetworkMs);
    QCOMPARE(item("selfLevelBadge")->property("level").toInt(), 2);
    QTRY_VERIFY(item("clearanceNotice"));
    QCOMPARE(item("clearanceNoticeText")->property("text").toString(),
             QStringLiteral("ชั้นความลับของคุณเปลี่ยนเป็น ลับมาก (Secret) — เดิม ลับที่สุด"));
    QVERIFY(item("clearanceNoticeDetail")->property("text").toString().contains("ปิดสำหรับคุณแล้ว"));
    QTRY_VERIFY(item("expiryWarning"));
    const QString warning = item("expiryWarningText")->property("text").toString();
    QVERIFY2(warning.contains("อีก 5 วัน"), qPrintable(warning));
    QVERIFY(item("expiryWarningDetail")->property("text").toString().contains("gchat-admin serve"));

    backend().openConversation(conversation_id("ทีมงบประมาณ"));
    QTRY_COMPARE(backend().current_title(), QStringLiteral("ทีมงบประมาณ"));
    type_into("composer", "ชั้นความลับเปลี่ยนแล้ว ยังคุยต่อได้");
    QTest::keyClick(window(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(last_message_text(), QStringLiteral("ชั้นความลับเปลี่ยนแล้ว ยังคุยต่อได้"), kNetworkMs);
    // Alice's device first takes her own renewed certificate (her clearance was lowered above).
    const QString heard = run(cli_, {"--data", "alice", "sync", "--seconds", "4"}, 4 * kNetworkMs);
    QVERIFY2(heard.contains("ชั้นความลับเปลี่ยนแล้ว ยังคุยต่อได้"), qPrintable(heard));
    screenshot("clearance-changed");
    click("clearanceNoticeDismiss");
    QTRY_VERIFY(!item("clearanceNotice"));
    QVERIFY(item("expiryWarning"));  // a problem, not news: it stays while it is true
  }

  // The agency's issuing service runs once: it renews her certificate for 90 days with nobody typing
  // anything; a short note says so, the warning goes, and her clearance stays what the officer set.
  void renewedByIssuingService() {
    const QString served = run(admin_, {"serve", "--once", "--admin-key", "issuer-moi.key", "--admin-chain",
                                        "issuer-moi.chain", "--passphrase-file", "pass", "--port",
                                        env("GCHAT_TEST_PORT"), "--ca", "tls/ca.pem"});
    QVERIFY2(served.contains("renewed moi/nida"), qPrintable(served));
    QTRY_VERIFY2_WITH_TIMEOUT(!item("expiryWarning"), qPrintable(backend().error()), kNetworkMs);
    QTRY_VERIFY(item("toast"));
    QVERIFY2(item("toast")->property("text").toString().startsWith("ใบรับรองของคุณต่ออายุแล้ว ใช้ได้ถึง"),
             qPrintable(item("toast")->property("text").toString()));
    QVERIFY(!item("clearanceNotice"));
    QCOMPARE(backend().self_level(), 2);
    // It reconnects with the renewed chain.
    QTRY_COMPARE_WITH_TIMEOUT(backend().connection_state(), 3, kNetworkMs);
    screenshot("certificate-renewed");
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
