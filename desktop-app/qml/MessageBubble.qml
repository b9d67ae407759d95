// One row of the history. A message: the verified sender (name, agency, clearance; device and key on
// demand), a quote of the message it answers, the original sender of a forward, the text, time and
// delivery status. A notice (the conversation itself changed): a NoticeLine instead.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Item {
    id: bubble
    required property var model
    required property int index
    property bool showDevice: false
    signal reply(string messageId)
    signal forward(string messageId)
    width: ListView.view ? ListView.view.width : 400
    implicitHeight: bubble.model.notice ? notice.implicitHeight : box.implicitHeight + 10

    function statusText(status) {
        switch (status) {
        case 1: return "… " + qsTr("Waiting to send")
        case 2: return "✓ " + qsTr("Sent")
        case 3: return "✓✓ " + qsTr("Delivered")
        case 4: return "✓✓ " + qsTr("Read")
        case 6: return "✕ " + qsTr("Not sent: the relay refused it")
        default: return ""
        }
    }

    NoticeLine {
        id: notice
        visible: bubble.model.notice
        width: bubble.width
        text: bubble.model.text
        time: bubble.model.time
        fullTime: bubble.model.fullTime
        declassified: bubble.model.declassified
        level: bubble.model.noticeLevel
    }

    Rectangle {
        id: box
        visible: !bubble.model.notice
        anchors.right: bubble.model.outgoing ? parent.right : undefined
        anchors.left: bubble.model.outgoing ? undefined : parent.left
        anchors.margins: 12
        anchors.verticalCenter: parent.verticalCenter
        width: Math.min(bubble.width * 0.72, Math.max(column.implicitWidth, 220) + 20)
        implicitHeight: column.implicitHeight + 16
        radius: 12
        color: bubble.model.outgoing ? Theme.outgoing : Theme.incoming
        border.color: bubble.ListView.isCurrentItem && bubble.ListView.view.activeFocus ? Theme.brand : Theme.line

        ColumnLayout {
            id: column
            anchors.fill: parent
            anchors.margins: 8
            spacing: 3

            // Who: verified from the sender's certificate chain. A click shows the device.
            RowLayout {
                visible: !bubble.model.outgoing
                Layout.fillWidth: true
                Label {
                    objectName: "senderName"
                    text: bubble.model.senderName
                    font.bold: true
                    color: Theme.brand
                    MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: bubble.showDevice = !bubble.showDevice }
                }
                Label { text: "· " + bubble.model.senderAgency; color: Theme.muted; elide: Text.ElideRight; Layout.fillWidth: true }
                LevelBadge { level: bubble.model.senderLevel; showUnclassified: false }
                Label { text: "✔"; color: "#2e7d32"; ToolTip.visible: verifiedArea.containsMouse; ToolTip.text: qsTr("Sender verified to the government root")
                    MouseArea { id: verifiedArea; anchors.fill: parent; hoverEnabled: true } }
            }
            Label {
                visible: bubble.showDevice
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: Theme.muted
                font.pointSize: Theme.fontSize * 0.85
                text: qsTr("Device: %1 · key %2 · %3").arg(bubble.model.deviceName).arg(bubble.model.deviceFingerprint).arg(bubble.model.senderUser)
            }
            // Forwarded: the original sender, verified from the original signature.
            Rectangle {
                visible: bubble.model.forwarded
                Layout.fillWidth: true
                implicitHeight: fwd.implicitHeight + 8
                color: "#f1f4f6"
                radius: 6
                Label {
                    id: fwd
                    objectName: "forwardedFrom"
                    anchors.fill: parent
                    anchors.margins: 4
                    wrapMode: Text.Wrap
                    font.pointSize: Theme.fontSize * 0.85
                    color: Theme.muted
                    text: qsTr("Forwarded from %1 (%2), %3, %4").arg(bubble.model.forwardedFrom).arg(bubble.model.forwardedAgency)
                          .arg(bubble.model.forwardedTime).arg(bubble.model.forwardedLevel)
                }
            }
            // The message answered.
            Rectangle {
                visible: bubble.model.replyText !== ""
                Layout.fillWidth: true
                implicitHeight: quote.implicitHeight + 8
                color: "#eef3f7"
                radius: 6
                Rectangle { width: 3; height: parent.height; color: Theme.brand }
                Label {
                    id: quote
                    anchors.fill: parent
                    anchors.margins: 4
                    anchors.leftMargin: 10
                    wrapMode: Text.Wrap
                    maximumLineCount: 3
                    elide: Text.ElideRight
                    font.pointSize: Theme.fontSize * 0.85
                    text: (bubble.model.replySender !== "" ? bubble.model.replySender + ": " : "") + bubble.model.replyText
                }
            }
            TextEdit {
                objectName: "messageText"
                Layout.fillWidth: true
                text: bubble.model.text
                wrapMode: Text.Wrap
                readOnly: true
                selectByMouse: true
                font.pointSize: Theme.fontSize
                color: "#1b2226"
            }
            RowLayout {
                Layout.fillWidth: true
                Label {
                    text: bubble.model.time
                    color: Theme.muted
                    font.pointSize: Theme.fontSize * 0.8
                    ToolTip.visible: timeArea.containsMouse
                    ToolTip.text: bubble.model.fullTime
                    MouseArea { id: timeArea; anchors.fill: parent; hoverEnabled: true }
                }
                Label {
                    objectName: "messageStatus"
                    visible: bubble.model.outgoing
                    text: bubble.statusText(bubble.model.status)
                    color: bubble.model.status === 4 ? "#1565c0" : bubble.model.status === 6 ? "#c62828" : Theme.muted
                    font.pointSize: Theme.fontSize * 0.8
                }
                Item { Layout.fillWidth: true }
                ToolButton {
                    text: "↩"
                    font.pointSize: Theme.fontSize * 0.9
                    Accessible.name: qsTr("Reply")
                    ToolTip.visible: hovered; ToolTip.text: qsTr("Reply")
                    onClicked: bubble.reply(bubble.model.messageId)
                }
                ToolButton {
                    text: "↪"
                    font.pointSize: Theme.fontSize * 0.9
                    Accessible.name: qsTr("Forward")
                    ToolTip.visible: hovered; ToolTip.text: qsTr("Forward")
                    onClicked: bubble.forward(bubble.model.messageId)
                }
            }
        }
    }
}
