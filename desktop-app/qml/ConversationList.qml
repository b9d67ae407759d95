// Conversations, newest first: title, classification badge, last message with its sender and
// time, unread count. Arrow keys move, Enter opens.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

ColumnLayout {
    id: root
    spacing: 0
    signal newGroup()
    function focusList() { list.forceActiveFocus() }

    RowLayout {
        Layout.fillWidth: true
        Layout.margins: 10
        Label { text: qsTr("Chats"); font.bold: true; font.pointSize: Theme.fontSize * 1.3; Layout.fillWidth: true }
        Button {
            objectName: "newGroupButton"
            text: qsTr("New group")
            onClicked: root.newGroup()
            ToolTip.visible: hovered
            ToolTip.text: qsTr("Ctrl+N")
        }
    }
    Label {
        visible: list.count === 0
        Layout.fillWidth: true
        Layout.margins: 16
        wrapMode: Text.Wrap
        color: Theme.muted
        text: qsTr("No conversations yet. Start a group, or wait for someone to add you.")
    }
    ListView {
        id: list
        objectName: "conversationList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: Backend.conversations
        keyNavigationEnabled: true
        activeFocusOnTab: true
        currentIndex: -1
        ScrollBar.vertical: ScrollBar { }
        Keys.onReturnPressed: if (currentIndex >= 0) Backend.openConversation(Backend.conversations.idAt(currentIndex))
        Keys.onEnterPressed: if (currentIndex >= 0) Backend.openConversation(Backend.conversations.idAt(currentIndex))
        onActiveFocusChanged: if (activeFocus && currentIndex < 0 && count > 0) currentIndex = 0
        delegate: ItemDelegate {
            id: row
            objectName: "conversation-" + model.title
            required property var model
            required property int index
            width: ListView.view.width
            highlighted: model.conversationId === Backend.currentId
            onClicked: {
                list.currentIndex = index
                Backend.openConversation(model.conversationId)
            }
            background: Rectangle {
                color: row.highlighted ? Theme.selection : row.ListView.isCurrentItem && list.activeFocus ? "#eef3f7"
                     : row.hovered ? "#f5f8fa" : "transparent"
                Rectangle {  // the classification colour down the left edge of classified rows
                    visible: row.model.level > 0
                    width: 4
                    height: parent.height
                    color: row.model.levelColor
                }
            }
            contentItem: ColumnLayout {
                spacing: 2
                RowLayout {
                    Layout.fillWidth: true
                    Label {
                        text: (row.model.kind === 3 ? "⚑ " : "") + row.model.title
                        font.bold: row.model.unread > 0
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label { text: row.model.lastTime; color: Theme.muted; font.pointSize: Theme.fontSize * 0.85 }
                }
                RowLayout {
                    Layout.fillWidth: true
                    LevelBadge { level: row.model.level; showUnclassified: false }
                    Label {
                        // A notice names who made the change itself (no sender before it).
                        text: row.model.lastText === "" || row.model.lastSender === ""
                              ? row.model.lastText : row.model.lastSender + ": " + row.model.lastText
                        color: Theme.muted
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Rectangle {
                        visible: row.model.unread > 0
                        implicitWidth: Math.max(implicitHeight, unreadText.implicitWidth + 10)
                        implicitHeight: unreadText.implicitHeight + 4
                        radius: implicitHeight / 2
                        color: "#06c755"
                        Label { id: unreadText; anchors.centerIn: parent; text: row.model.unread; color: "white"; font.bold: true }
                    }
                }
            }
        }
    }
}
