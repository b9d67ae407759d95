<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="th_TH">
<context>
    <name>AdminPage</name>
    <message>
        <source>Clearance officer</source>
        <translation>เจ้าหน้าที่กำหนดชั้นความลับ</translation>
    </message>
    <message>
        <source>These screens are for clearance officers. Import your administrator key and chain (from gchat-admin) to use them on this computer.</source>
        <translation>หน้านี้สำหรับเจ้าหน้าที่กำหนดชั้นความลับ นำเข้ากุญแจผู้ดูแลและสายใบรับรอง (จาก gchat-admin) เพื่อใช้งานบนเครื่องนี้</translation>
    </message>
    <message>
        <source>Administrator key file</source>
        <translation>ไฟล์กุญแจผู้ดูแล</translation>
    </message>
    <message>
        <source>Administrator chain file</source>
        <translation>ไฟล์สายใบรับรองผู้ดูแล</translation>
    </message>
    <message>
        <source>Key passphrase</source>
        <translation>รหัสผ่านของกุญแจ</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>นำเข้า</translation>
    </message>
    <message>
        <source>People of %1</source>
        <translation>บุคลากรของ %1</translation>
    </message>
    <message>
        <source>Name or user id (Enter to search)</source>
        <translation>ชื่อหรือรหัสผู้ใช้ (กด Enter เพื่อค้นหา)</translation>
    </message>
    <message>
        <source>Clearance now:</source>
        <translation>ชั้นความลับปัจจุบัน:</translation>
    </message>
    <message>
        <source>New clearance:</source>
        <translation>ชั้นความลับใหม่:</translation>
    </message>
    <message>
        <source>Change…</source>
        <translation>เปลี่ยน…</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>อุปกรณ์</translation>
    </message>
    <message>
        <source>Revoke…</source>
        <translation>เพิกถอน…</translation>
    </message>
    <message>
        <source>Change clearance?</source>
        <translation>เปลี่ยนชั้นความลับหรือไม่?</translation>
    </message>
    <message>
        <source>%1 goes from %2 to %3. If lower, they leave every conversation above the new level at once.</source>
        <translation>%1 จะเปลี่ยนจาก %2 เป็น %3 หากลดลง จะถูกนำออกจากทุกห้องสนทนาที่สูงกว่าระดับใหม่ทันที</translation>
    </message>
    <message>
        <source>Revoke this device?</source>
        <translation>เพิกถอนอุปกรณ์นี้หรือไม่?</translation>
    </message>
    <message>
        <source>%1 of %2 will be cut off from every conversation and cannot be used again.</source>
        <translation>%1 ของ %2 จะถูกตัดออกจากทุกห้องสนทนาและใช้งานไม่ได้อีก</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>เปลี่ยน</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>เพิกถอน</translation>
    </message>
</context>
<context>
    <name>ChangeConversationDialog</name>
    <message>
        <source>Change title or classification</source>
        <translation>เปลี่ยนชื่อหรือชั้นความลับ</translation>
    </message>
    <message>
        <source>Declassify</source>
        <translation>ลดชั้นความลับ</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>เปลี่ยน</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>ยกเลิก</translation>
    </message>
    <message>
        <source>Group name</source>
        <translation>ชื่อกลุ่ม</translation>
    </message>
    <message>
        <source>Classification</source>
        <translation>ชั้นความลับ</translation>
    </message>
    <message>
        <source>Declassifying from %1 to %2: messages from now on are %2 (earlier ones stay %1), every member sees in the history that you did it, and the server records it.</source>
        <translation>ลดชั้นความลับจาก %1 เป็น %2: ข้อความต่อจากนี้เป็นชั้น %2 (ข้อความก่อนหน้ายังคงเป็น %1) สมาชิกทุกคนจะเห็นในประวัติการสนทนาว่าคุณเป็นผู้ลด และเซิร์ฟเวอร์จะบันทึกไว้</translation>
    </message>
    <message>
        <source>Members not cleared for %1 must be removed first.</source>
        <translation>ต้องนำสมาชิกที่ไม่มีสิทธิ์เข้าถึงชั้น %1 ออกก่อน</translation>
    </message>
</context>
<context>
    <name>ChannelsPage</name>
    <message>
        <source>Channels</source>
        <translation>ช่องประกาศ</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>รีเฟรช</translation>
    </message>
    <message>
        <source>No channels are open to you yet.</source>
        <translation>ยังไม่มีช่องประกาศที่เปิดให้คุณ</translation>
    </message>
    <message>
        <source>%1 · %2 subscribers</source>
        <translation>%1 · ผู้ติดตาม %2 คน</translation>
    </message>
    <message>
        <source>you publish</source>
        <translation>คุณเป็นผู้ประกาศ</translation>
    </message>
    <message>
        <source>Not open to your clearance or agency</source>
        <translation>ไม่เปิดสำหรับชั้นความลับหรือหน่วยงานของคุณ</translation>
    </message>
    <message>
        <source>Unsubscribe</source>
        <translation>เลิกติดตาม</translation>
    </message>
    <message>
        <source>Subscribe</source>
        <translation>ติดตาม</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Choose a conversation</source>
        <translation>เลือกห้องสนทนา</translation>
    </message>
    <message>
        <source>More</source>
        <translation>เพิ่มเติม</translation>
    </message>
    <message>
        <source>Unsubscribe</source>
        <translation>เลิกติดตาม</translation>
    </message>
    <message>
        <source>Leave conversation</source>
        <translation>ออกจากห้องสนทนา</translation>
    </message>
    <message>
        <source>Replying to %1: %2</source>
        <translation>ตอบกลับ %1: %2</translation>
    </message>
    <message>
        <source>Cancel reply</source>
        <translation>ยกเลิกการตอบกลับ</translation>
    </message>
    <message>
        <source>Only the channel&apos;s publishers can post here.</source>
        <translation>เฉพาะผู้ประกาศของช่องนี้เท่านั้นที่โพสต์ได้</translation>
    </message>
    <message>
        <source>You are no longer a member of this conversation.</source>
        <translation>คุณไม่ได้เป็นสมาชิกของห้องสนทนานี้แล้ว</translation>
    </message>
    <message>
        <source>Message (%1)</source>
        <translation>ข้อความ (%1)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>ข้อความ</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>ส่ง</translation>
    </message>
    <message>
        <source>Unsubscribe from this channel?</source>
        <translation>เลิกติดตามช่องประกาศนี้หรือไม่?</translation>
    </message>
    <message>
        <source>Leave this conversation?</source>
        <translation>ออกจากห้องสนทนานี้หรือไม่?</translation>
    </message>
    <message>
        <source>You will no longer receive its messages on any of your devices.</source>
        <translation>คุณจะไม่ได้รับข้อความของห้องนี้บนอุปกรณ์ใดของคุณอีก</translation>
    </message>
    <message>
        <source>Leave</source>
        <translation>ออก</translation>
    </message>
    <message>
        <source>Change title or classification…</source>
        <translation>เปลี่ยนชื่อหรือชั้นความลับ…</translation>
    </message>
</context>
<context>
    <name>ClassificationBanner</name>
    <message>
        <source>Only for people cleared for this level</source>
        <translation>เฉพาะผู้ที่ได้รับสิทธิ์ชั้นความลับระดับนี้</translation>
    </message>
</context>
<context>
    <name>ConfirmDialog</name>
    <message>
        <source>Yes</source>
        <translation>ตกลง</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>ยกเลิก</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>Chats</source>
        <translation>แชท</translation>
    </message>
    <message>
        <source>New group</source>
        <translation>สร้างกลุ่ม</translation>
    </message>
    <message>
        <source>Ctrl+N</source>
        <translation>Ctrl+N</translation>
    </message>
    <message>
        <source>No conversations yet. Start a group, or wait for someone to add you.</source>
        <translation>ยังไม่มีห้องสนทนา สร้างกลุ่มใหม่ หรือรอให้ผู้อื่นเพิ่มคุณ</translation>
    </message>
</context>
<context>
    <name>DevicesDialog</name>
    <message>
        <source>My devices</source>
        <translation>อุปกรณ์ของฉัน</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>รีเฟรช</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>ปิด</translation>
    </message>
    <message>
        <source>Devices signed in as %1. Remove one you lost or no longer use: it is revoked at once and taken out of every conversation.</source>
        <translation>อุปกรณ์ที่ลงชื่อเข้าใช้เป็น %1 นำอุปกรณ์ที่ทำหายหรือเลิกใช้แล้วออกได้ อุปกรณ์นั้นจะถูกเพิกถอนทันทีและถูกนำออกจากทุกการสนทนา</translation>
    </message>
    <message>
        <source>this device</source>
        <translation>เครื่องนี้</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>นำออกแล้ว</translation>
    </message>
    <message>
        <source>Last seen: %1</source>
        <translation>ใช้งานล่าสุด: %1</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>นำออก…</translation>
    </message>
    <message>
        <source>The server lists no devices.</source>
        <translation>เซิร์ฟเวอร์ไม่มีรายการอุปกรณ์</translation>
    </message>
    <message>
        <source>Remove this device?</source>
        <translation>นำอุปกรณ์นี้ออกหรือไม่?</translation>
    </message>
    <message>
        <source>“%1”
Key %2 · last seen: %3

It is revoked at once: it can no longer sign in, and it is taken out of every conversation. If you still have it, check that it shows the same key. This cannot be undone.</source>
        <translation>“%1”
กุญแจ %2 · ใช้งานล่าสุด: %3

อุปกรณ์นี้จะถูกเพิกถอนทันที ลงชื่อเข้าใช้ไม่ได้อีก และจะถูกนำออกจากทุกการสนทนา หากอุปกรณ์ยังอยู่กับคุณ ให้ตรวจดูว่าแสดงกุญแจเดียวกัน การกระทำนี้ย้อนกลับไม่ได้</translation>
    </message>
    <message>
        <source>Remove device</source>
        <translation>นำอุปกรณ์ออก</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>กุญแจ</translation>
    </message>
</context>
<context>
    <name>EnrolPage</name>
    <message>
        <source>Enrol this computer</source>
        <translation>ลงทะเบียนเครื่องนี้</translation>
    </message>
    <message>
        <source>Type the one-time code your agency&apos;s administrator gave you in person.</source>
        <translation>พิมพ์รหัสใช้ครั้งเดียวที่ผู้ดูแลของหน่วยงานมอบให้คุณด้วยตนเอง</translation>
    </message>
    <message>
        <source>Enrolment code</source>
        <translation>รหัสลงทะเบียน</translation>
    </message>
    <message>
        <source>Code accepted. Waiting for your administrator to approve this computer…</source>
        <translation>รับรหัสแล้ว กำลังรอผู้ดูแลอนุมัติเครื่องนี้…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>ยกเลิก</translation>
    </message>
    <message>
        <source>Enrol</source>
        <translation>ลงทะเบียน</translation>
    </message>
</context>
<context>
    <name>ForwardDialog</name>
    <message>
        <source>Forward to…</source>
        <translation>ส่งต่อไปยัง…</translation>
    </message>
    <message>
        <source>Lower classification: cannot receive this message</source>
        <translation>ชั้นความลับต่ำกว่า: รับข้อความนี้ไม่ได้</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>ยกเลิก</translation>
    </message>
</context>
<context>
    <name>IdentityTexts</name>
    <message>
        <source>Your clearance is now %1 (%2) — it was %3</source>
        <translation>ชั้นความลับของคุณเปลี่ยนเป็น %1 (%2) — เดิม %3</translation>
    </message>
    <message>
        <source>Conversations classified above your new clearance are closed to you; all others go on as before.</source>
        <translation>การสนทนาที่มีชั้นความลับสูงกว่าระดับใหม่ของคุณปิดสำหรับคุณแล้ว การสนทนาอื่นใช้ต่อได้ตามเดิม</translation>
    </message>
    <message>
        <source>You can now create and join conversations up to your new clearance.</source>
        <translation>ตอนนี้คุณสร้างและเข้าร่วมการสนทนาได้ถึงชั้นความลับระดับใหม่ของคุณ</translation>
    </message>
    <message>
        <source>Your certificate has been renewed; it is valid until %1</source>
        <translation>ใบรับรองของคุณต่ออายุแล้ว ใช้ได้ถึง %1</translation>
    </message>
    <message numerus="yes">
        <source>This device&apos;s certificate expires in %n day(s), on %1.</source>
        <translation>
            <numerusform>ใบรับรองของเครื่องนี้จะหมดอายุในอีก %n วัน (%1)</numerusform>
        </translation>
    </message>
    <message>
        <source>Certificates normally renew by themselves 30 days ahead, so your agency&apos;s issuing service (gchat-admin serve) is not renewing them: check that it is running and reaches the server.</source>
        <translation>ปกติใบรับรองจะต่ออายุเองล่วงหน้า 30 วัน แสดงว่าบริการออกใบรับรองของหน่วยงาน (gchat-admin serve) ไม่ได้ต่ออายุ: ตรวจว่าบริการทำงานอยู่และเชื่อมต่อเซิร์ฟเวอร์ได้</translation>
    </message>
    <message>
        <source>Certificates normally renew by themselves 30 days ahead, so your agency&apos;s service that renews them is not working. Please contact your agency&apos;s administrator before then.</source>
        <translation>ปกติใบรับรองจะต่ออายุเองล่วงหน้า 30 วัน แสดงว่าบริการต่ออายุใบรับรองของหน่วยงานไม่ทำงาน กรุณาติดต่อผู้ดูแลของหน่วยงานก่อนวันนั้น</translation>
    </message>
    <message>
        <source>Not connected to the server: your devices cannot be listed or removed now. Try again when the connection is back.</source>
        <translation>ไม่ได้เชื่อมต่อกับเซิร์ฟเวอร์ จึงแสดงหรือนำอุปกรณ์ออกไม่ได้ในขณะนี้ ลองอีกครั้งเมื่อการเชื่อมต่อกลับมา</translation>
    </message>
    <message>
        <source>This device cannot remove itself. Remove it from another of your devices.</source>
        <translation>เครื่องนี้นำตัวเองออกไม่ได้ ให้นำออกจากอุปกรณ์อื่นของคุณ</translation>
    </message>
    <message>
        <source>That device has already been removed.</source>
        <translation>อุปกรณ์นั้นถูกนำออกไปแล้ว</translation>
    </message>
    <message>
        <source>The server refused: a device is removed by its owner from another of their devices, or by an administrator.</source>
        <translation>เซิร์ฟเวอร์ปฏิเสธ: อุปกรณ์นำออกได้โดยเจ้าของจากอุปกรณ์อื่นของตน หรือโดยผู้ดูแล</translation>
    </message>
    <message>
        <source>The server does not know that device: it has never signed in.</source>
        <translation>เซิร์ฟเวอร์ไม่รู้จักอุปกรณ์นั้น: ยังไม่เคยลงชื่อเข้าใช้</translation>
    </message>
    <message>
        <source>This server does not manage devices (it runs without a government root).</source>
        <translation>เซิร์ฟเวอร์นี้ไม่ได้จัดการอุปกรณ์ (ทำงานโดยไม่มีกุญแจรากของรัฐ)</translation>
    </message>
    <message>
        <source>The server could not save the change, so nothing was changed. Try again later.</source>
        <translation>เซิร์ฟเวอร์บันทึกการเปลี่ยนแปลงไม่ได้ จึงไม่มีสิ่งใดเปลี่ยน ลองอีกครั้งภายหลัง</translation>
    </message>
    <message>
        <source>The server refused: %1</source>
        <translation>เซิร์ฟเวอร์ปฏิเสธ: %1</translation>
    </message>
    <message>
        <source>Your devices could not be listed or changed: %1</source>
        <translation>แสดงหรือเปลี่ยนรายการอุปกรณ์ไม่ได้: %1</translation>
    </message>
    <message>
        <source>This device&apos;s certificate expired on %1: the server refuses it.</source>
        <translation>ใบรับรองของเครื่องนี้หมดอายุเมื่อ %1 เซิร์ฟเวอร์จึงไม่รับ</translation>
    </message>
    <message>
        <source>Renewal has failed: check that your agency&apos;s issuing service (gchat-admin serve) is running and that the agency&apos;s yearly certificate renewal was done.</source>
        <translation>การต่ออายุล้มเหลว: ตรวจว่าบริการออกใบรับรองของหน่วยงาน (gchat-admin serve) ทำงานอยู่ และได้ต่ออายุใบรับรองประจำปีของหน่วยงานแล้ว</translation>
    </message>
    <message>
        <source>Please contact your agency&apos;s administrator: the service that renews certificates is not working.</source>
        <translation>กรุณาติดต่อผู้ดูแลของหน่วยงาน: บริการต่ออายุใบรับรองไม่ทำงาน</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>G-Chat</source>
        <translation>G-Chat</translation>
    </message>
    <message>
        <source>Your clearance:</source>
        <translation>ชั้นความลับของคุณ:</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>ปิด</translation>
    </message>
    <message>
        <source>My account: %1</source>
        <translation>บัญชีของฉัน: %1</translation>
    </message>
    <message>
        <source>My devices…</source>
        <translation>อุปกรณ์ของฉัน…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>ตั้งค่า</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>รับทราบ</translation>
    </message>
</context>
<context>
    <name>MainPage</name>
    <message>
        <source>Chats</source>
        <translation>แชท</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>ช่องประกาศ</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>ค้นหา</translation>
    </message>
    <message>
        <source>Clearance</source>
        <translation>ชั้นความลับ</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>ตั้งค่า</translation>
    </message>
</context>
<context>
    <name>MessageBubble</name>
    <message>
        <source>Waiting to send</source>
        <translation>รอส่ง</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>ส่งแล้ว</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>ถึงแล้ว</translation>
    </message>
    <message>
        <source>Read</source>
        <translation>อ่านแล้ว</translation>
    </message>
    <message>
        <source>Sender verified to the government root</source>
        <translation>ยืนยันตัวผู้ส่งถึงใบรับรองรากของรัฐแล้ว</translation>
    </message>
    <message>
        <source>Device: %1 · key %2 · %3</source>
        <translation>อุปกรณ์: %1 · กุญแจ %2 · %3</translation>
    </message>
    <message>
        <source>Forwarded from %1 (%2), %3, %4</source>
        <translation>ส่งต่อจาก %1 (%2), %3, %4</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>ตอบกลับ</translation>
    </message>
    <message>
        <source>Forward</source>
        <translation>ส่งต่อ</translation>
    </message>
    <message>
        <source>Not sent: the relay refused it</source>
        <translation>ส่งไม่สำเร็จ: เซิร์ฟเวอร์ปฏิเสธ</translation>
    </message>
</context>
<context>
    <name>NewGroupDialog</name>
    <message>
        <source>New group</source>
        <translation>สร้างกลุ่ม</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>สร้าง</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>ยกเลิก</translation>
    </message>
    <message>
        <source>Group name</source>
        <translation>ชื่อกลุ่ม</translation>
    </message>
    <message>
        <source>Classification</source>
        <translation>ชั้นความลับ</translation>
    </message>
    <message>
        <source>Open to people of other agencies</source>
        <translation>เปิดให้บุคลากรจากหน่วยงานอื่น</translation>
    </message>
    <message>
        <source>Find people by name or user id</source>
        <translation>ค้นหาบุคคลด้วยชื่อหรือรหัสผู้ใช้</translation>
    </message>
    <message>
        <source>Members: %1</source>
        <translation>สมาชิก: %1</translation>
    </message>
    <message>
        <source>(you)</source>
        <translation>(คุณ)</translation>
    </message>
    <message>
        <source>Not cleared for %1</source>
        <translation>ไม่มีสิทธิ์ระดับ %1</translation>
    </message>
    <message>
        <source>Type at least 3 letters of a name or user id</source>
        <translation>พิมพ์ชื่อหรือรหัสผู้ใช้อย่างน้อย 3 ตัวอักษร</translation>
    </message>
</context>
<context>
    <name>Presentation</name>
    <message>
        <source>Declassified: %1 → %2</source>
        <translation>ลดชั้นความลับ: %1 → %2</translation>
    </message>
    <message>
        <source>Classification changed: %1 → %2</source>
        <translation>เปลี่ยนชั้นความลับ: %1 → %2</translation>
    </message>
    <message>
        <source>Renamed: “%1” → “%2”</source>
        <translation>เปลี่ยนชื่อกลุ่ม: “%1” → “%2”</translation>
    </message>
    <message>
        <source>any agency</source>
        <translation>ทุกหน่วยงาน</translation>
    </message>
    <message>
        <source>Opened to more agencies: %1 → %2</source>
        <translation>เปิดให้หน่วยงานอื่นเข้าร่วม: %1 → %2</translation>
    </message>
    <message>
        <source>Agencies admitted: %1 → %2</source>
        <translation>เปลี่ยนหน่วยงานที่เข้าร่วมได้: %1 → %2</translation>
    </message>
    <message>
        <source>Conversation settings changed</source>
        <translation>เปลี่ยนการตั้งค่าการสนทนา</translation>
    </message>
    <message>
        <source>%1 by %2</source>
        <translation>%1 โดย %2</translation>
    </message>
</context>
<context>
    <name>SearchPage</name>
    <message>
        <source>Search</source>
        <translation>ค้นหา</translation>
    </message>
    <message>
        <source>Words to find, in Thai or English</source>
        <translation>คำที่ต้องการค้นหา ภาษาไทยหรืออังกฤษ</translation>
    </message>
    <message>
        <source>Press Enter to search.</source>
        <translation>กด Enter เพื่อค้นหา</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>ตั้งค่า</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>ภาษา</translation>
    </message>
    <message>
        <source>Dates</source>
        <translation>วันที่</translation>
    </message>
    <message>
        <source>Thai calendar (B.E.)</source>
        <translation>ปฏิทินไทย (พ.ศ.)</translation>
    </message>
    <message>
        <source>Gregorian (A.D.)</source>
        <translation>ปฏิทินสากล (ค.ศ.)</translation>
    </message>
    <message>
        <source>Text size</source>
        <translation>ขนาดตัวอักษร</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>การแจ้งเตือน</translation>
    </message>
    <message>
        <source>Show sender and text in notifications of classified conversations</source>
        <translation>แสดงผู้ส่งและข้อความในการแจ้งเตือนของห้องสนทนาชั้นความลับ</translation>
    </message>
    <message>
        <source>Off by default: a notification then says only that a classified message arrived, so that nothing classified shows on a screen others may see.</source>
        <translation>ปิดไว้โดยค่าเริ่มต้น: การแจ้งเตือนจะบอกเพียงว่ามีข้อความชั้นความลับเข้ามา เพื่อไม่ให้เนื้อหาลับปรากฏบนหน้าจอที่ผู้อื่นอาจเห็น</translation>
    </message>
    <message>
        <source>This device</source>
        <translation>เครื่องนี้</translation>
    </message>
    <message>
        <source>Signed in as %1, %2</source>
        <translation>เข้าใช้งานในชื่อ %1, %2</translation>
    </message>
    <message>
        <source>Device name: %1</source>
        <translation>ชื่ออุปกรณ์: %1</translation>
    </message>
    <message>
        <source>Server: %1</source>
        <translation>เซิร์ฟเวอร์: %1</translation>
    </message>
    <message>
        <source>Keyboard</source>
        <translation>แป้นพิมพ์</translation>
    </message>
    <message>
        <source>Ctrl+1 chats · Ctrl+2 channels · Ctrl+F search · Ctrl+4 clearance · Ctrl+5 settings · Ctrl+N new group · Enter send · Shift+Enter new line · in messages: R reply, F forward · Esc close</source>
        <translation>Ctrl+1 แชท · Ctrl+2 ช่องประกาศ · Ctrl+F ค้นหา · Ctrl+4 ชั้นความลับ · Ctrl+5 ตั้งค่า · Ctrl+N สร้างกลุ่ม · Enter ส่ง · Shift+Enter ขึ้นบรรทัดใหม่ · ในรายการข้อความ: R ตอบกลับ, F ส่งต่อ · Esc ปิด</translation>
    </message>
    <message>
        <source>Certificate valid until %1 (renewed by itself before then)</source>
        <translation>ใบรับรองใช้ได้ถึง %1 (ต่ออายุเองก่อนถึงวันนั้น)</translation>
    </message>
    <message>
        <source>My devices…</source>
        <translation>อุปกรณ์ของฉัน…</translation>
    </message>
</context>
<context>
    <name>SetupPage</name>
    <message>
        <source>Set up G-Chat</source>
        <translation>ตั้งค่า G-Chat</translation>
    </message>
    <message>
        <source>Your agency&apos;s administrator gives you these three values.</source>
        <translation>ผู้ดูแลของหน่วยงานจะให้ค่าทั้งสามนี้แก่คุณ</translation>
    </message>
    <message>
        <source>Server address (host:port)</source>
        <translation>ที่อยู่เซิร์ฟเวอร์ (host:port)</translation>
    </message>
    <message>
        <source>Server certificate authority (PEM file)</source>
        <translation>ผู้ออกใบรับรองของเซิร์ฟเวอร์ (ไฟล์ PEM)</translation>
    </message>
    <message>
        <source>Government root key</source>
        <translation>กุญแจรากของรัฐ</translation>
    </message>
    <message>
        <source>Name of this computer</source>
        <translation>ชื่อของเครื่องนี้</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>ดำเนินการต่อ</translation>
    </message>
</context>
<context>
    <name>UnlockPage</name>
    <message>
        <source>Unlock G-Chat</source>
        <translation>ปลดล็อก G-Chat</translation>
    </message>
    <message>
        <source>Protect this computer&apos;s messages</source>
        <translation>ปกป้องข้อความบนเครื่องนี้</translation>
    </message>
    <message>
        <source>Your messages on this computer are encrypted. Type your passphrase to open them.</source>
        <translation>ข้อความบนเครื่องนี้ถูกเข้ารหัสไว้ พิมพ์รหัสผ่านเพื่อเปิด</translation>
    </message>
    <message>
        <source>Choose a passphrase of at least 8 characters. It encrypts your messages on this computer; nobody can recover it for you.</source>
        <translation>ตั้งรหัสผ่านอย่างน้อย 8 ตัวอักษร ใช้เข้ารหัสข้อความบนเครื่องนี้ และไม่มีผู้ใดกู้คืนให้คุณได้</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>รหัสผ่าน</translation>
    </message>
    <message>
        <source>The same passphrase again</source>
        <translation>พิมพ์รหัสผ่านเดิมอีกครั้ง</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>รหัสผ่านทั้งสองไม่ตรงกัน</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>ปลดล็อก</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>สร้าง</translation>
    </message>
</context>
<context>
    <name>gchat::desktop::Backend</name>
    <message>
        <source>The server address must be host:port, for example 127.0.0.1:8443.</source>
        <translation>ที่อยู่เซิร์ฟเวอร์ต้องอยู่ในรูป host:port เช่น 127.0.0.1:8443</translation>
    </message>
    <message>
        <source>The certificate authority file does not exist: %1</source>
        <translation>ไม่พบไฟล์ผู้ออกใบรับรอง: %1</translation>
    </message>
    <message>
        <source>The government root key is 64 hexadecimal digits (from your administrator).</source>
        <translation>กุญแจรากของรัฐเป็นเลขฐานสิบหก 64 หลัก (ได้จากผู้ดูแล)</translation>
    </message>
    <message>
        <source>The passphrase must have at least 8 characters.</source>
        <translation>รหัสผ่านต้องมีอย่างน้อย 8 ตัวอักษร</translation>
    </message>
    <message>
        <source>Type the enrolment code your administrator gave you.</source>
        <translation>พิมพ์รหัสลงทะเบียนที่ผู้ดูแลมอบให้คุณ</translation>
    </message>
    <message>
        <source>The passphrase is not right.</source>
        <translation>รหัสผ่านไม่ถูกต้อง</translation>
    </message>
    <message>
        <source>Someone chosen is not cleared for this classification or agency.</source>
        <translation>มีผู้ที่เลือกไว้ไม่มีสิทธิ์สำหรับชั้นความลับหรือหน่วยงานนี้</translation>
    </message>
    <message>
        <source>A message cannot be forwarded to a conversation with a lower classification than its own.</source>
        <translation>ส่งต่อข้อความไปยังห้องสนทนาที่มีชั้นความลับต่ำกว่าข้อความไม่ได้</translation>
    </message>
    <message>
        <source>Not connected to the server. Try again when the connection is back.</source>
        <translation>ไม่ได้เชื่อมต่อกับเซิร์ฟเวอร์ ลองอีกครั้งเมื่อการเชื่อมต่อกลับมา</translation>
    </message>
    <message>
        <source>Waiting for your administrator to approve this device.</source>
        <translation>กำลังรอผู้ดูแลอนุมัติอุปกรณ์นี้</translation>
    </message>
    <message>
        <source>You are not allowed to do this here.</source>
        <translation>คุณไม่มีสิทธิ์ทำสิ่งนี้ที่นี่</translation>
    </message>
    <message>
        <source>Could not save on this computer (is the disk full?). Nothing was changed.</source>
        <translation>บันทึกบนเครื่องนี้ไม่ได้ (ดิสก์เต็มหรือไม่?) ไม่มีสิ่งใดเปลี่ยนแปลง</translation>
    </message>
    <message>
        <source>A certificate did not verify: %1</source>
        <translation>ใบรับรองตรวจสอบไม่ผ่าน: %1</translation>
    </message>
    <message>
        <source>Not found.</source>
        <translation>ไม่พบ</translation>
    </message>
    <message>
        <source>Someone changed the group at the same moment. Please try again.</source>
        <translation>มีผู้อื่นเปลี่ยนแปลงกลุ่มในเวลาเดียวกัน โปรดลองอีกครั้ง</translation>
    </message>
    <message>
        <source>No administrator key has been imported on this device.</source>
        <translation>ยังไม่ได้นำเข้ากุญแจผู้ดูแลบนอุปกรณ์นี้</translation>
    </message>
    <message>
        <source>No answer in time; it may still complete.</source>
        <translation>ไม่ได้รับคำตอบทันเวลา คำขออาจยังดำเนินการสำเร็จได้</translation>
    </message>
    <message>
        <source>This device is not enrolled yet.</source>
        <translation>อุปกรณ์นี้ยังไม่ได้ลงทะเบียน</translation>
    </message>
    <message>
        <source>The server refused: %1</source>
        <translation>เซิร์ฟเวอร์ปฏิเสธ: %1</translation>
    </message>
    <message>
        <source>Not accepted: %1</source>
        <translation>ไม่ยอมรับ: %1</translation>
    </message>
    <message>
        <source>Something went wrong: %1</source>
        <translation>เกิดข้อผิดพลาด: %1</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>เชื่อมต่อแล้ว</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>กำลังเชื่อมต่อ…</translation>
    </message>
    <message>
        <source>No connection, retrying in %1 s</source>
        <translation>ไม่มีการเชื่อมต่อ จะลองใหม่ใน %1 วินาที</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>ออฟไลน์</translation>
    </message>
    <message>
        <source>Cannot forward: this message is %1 and &quot;%2&quot; is only %3. Forwarding into a lower classification would disclose it to people not cleared for it.</source>
        <translation>ส่งต่อไม่ได้: ข้อความนี้เป็น %1 แต่ &quot;%2&quot; เป็นเพียง %3 การส่งต่อไปยังชั้นความลับที่ต่ำกว่าจะเปิดเผยข้อความแก่ผู้ที่ไม่มีสิทธิ์</translation>
    </message>
    <message>
        <source>Only the channel&apos;s publishers can post in it.</source>
        <translation>เฉพาะผู้ประกาศของช่องเท่านั้นที่โพสต์ได้</translation>
    </message>
    <message>
        <source>Forwarded</source>
        <translation>ส่งต่อแล้ว</translation>
    </message>
    <message>
        <source>Give the group a name.</source>
        <translation>โปรดตั้งชื่อกลุ่ม</translation>
    </message>
    <message>
        <source>Choose at least one member.</source>
        <translation>โปรดเลือกสมาชิกอย่างน้อยหนึ่งคน</translation>
    </message>
    <message>
        <source>Subscribed</source>
        <translation>ติดตามแล้ว</translation>
    </message>
    <message>
        <source>Unsubscribed</source>
        <translation>เลิกติดตามแล้ว</translation>
    </message>
    <message>
        <source>Cannot read %1</source>
        <translation>อ่านไฟล์ %1 ไม่ได้</translation>
    </message>
    <message>
        <source>Administrator key imported</source>
        <translation>นำเข้ากุญแจผู้ดูแลแล้ว</translation>
    </message>
    <message>
        <source>Clearance of %1 changed from %2 to %3</source>
        <translation>เปลี่ยนชั้นความลับของ %1 จาก %2 เป็น %3 แล้ว</translation>
    </message>
    <message>
        <source>Device revoked</source>
        <translation>เพิกถอนอุปกรณ์แล้ว</translation>
    </message>
    <message>
        <source>New message (%1)</source>
        <translation>ข้อความใหม่ (%1)</translation>
    </message>
    <message>
        <source>%1 in %2: %3</source>
        <translation>%1 ใน %2: %3</translation>
    </message>
    <message>
        <source>“%1” was removed: it can no longer sign in, and it is taken out of your conversations.</source>
        <translation>นำ “%1” ออกแล้ว: ลงชื่อเข้าใช้ไม่ได้อีก และกำลังถูกนำออกจากการสนทนาของคุณ</translation>
    </message>
    <message>
        <source>A device key is 64 hexadecimal digits, as the new device shows it.</source>
        <translation>กุญแจอุปกรณ์เป็นเลขฐานสิบหก 64 หลัก ตามที่อุปกรณ์ใหม่แสดง</translation>
    </message>
</context>
<context>
    <name>gchat::desktop::DeviceModel</name>
    <message>
        <source>(device without a verified name)</source>
        <translation>(อุปกรณ์ที่ไม่มีชื่อที่ตรวจสอบแล้ว)</translation>
    </message>
    <message>
        <source>never signed in</source>
        <translation>ยังไม่เคยลงชื่อเข้าใช้</translation>
    </message>
    <message>
        <source>now</source>
        <translation>ตอนนี้</translation>
    </message>
</context>
</TS>
