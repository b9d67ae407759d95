// The open conversation: header, classification banner, messages, and the composer with the
// banner again. Enter sends, Shift+Enter starts a new line; in the message list R replies and
// F forwards the selected message.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    id: view
    objectName: "chatView"
    property string replyTo: ""
    background: Rectangle { color: "#e9eef2" }
    function focusComposer() { composer.forceActiveFocus() }
    function send() {
        if (composer.text.trim() === "") return
        Backend.sendText(composer.text, replyTo)
        composer.text = ""
        replyTo = ""
    }

    Label {
        anchors.centerIn: parent
        visible: Backend.currentId === ""
        color: Theme.muted
        text: qsTr("Choose a conversation")
        font.pointSize: Theme.fontSize * 1.2
    }

    ColumnLayout {
        anchors.fill: parent
        visible: Backend.currentId !== ""
        spacing: 0

        ClassificationBanner {
            objectName: "topBanner"
            Layout.fillWidth: true
            level: Backend.currentLevel
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: head.implicitHeight + 16
            color: Theme.panel
            border.color: Theme.line
            RowLayout {
                id: head
                anchors.fill: parent
                anchors.margins: 8
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 0
                    Label {
                        objectName: "chatTitle"
                        text: Backend.currentTitle
                        font.bold: true
                        font.pointSize: Theme.fontSize * 1.2
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        text: Backend.currentMembers
                        color: Theme.muted
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                        font.pointSize: Theme.fontSize * 0.85
                    }
                }
                LevelBadge { level: Backend.currentLevel }
                ToolButton {
                    objectName: "moreButton"
                    text: "⋮"
                    Accessible.name: qsTr("More")
                    onClicked: moreMenu.open()
                    Menu {
                        id: moreMenu
                        objectName: "moreMenu"
                        MenuItem {
                            objectName: "changeConversationItem"
                            visible: Backend.currentIsAdmin
                            height: visible ? implicitHeight : 0
                            text: qsTr("Change title or classification…")
                            onTriggered: changeDialog.openFresh()
                        }
                        MenuItem {
                            text: Backend.currentKind === 3 ? qsTr("Unsubscribe") : qsTr("Leave conversation")
                            onTriggered: leaveConfirm.open()
                        }
                    }
                }
            }
        }

        ListView {
            id: messages
            objectName: "messageList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: Backend.messages
            spacing: 2
            keyNavigationEnabled: true
            activeFocusOnTab: true
            ScrollBar.vertical: ScrollBar { }
            onCountChanged: Qt.callLater(positionViewAtEnd)
            onAtYBeginningChanged: if (atYBeginning && count > 0 && Backend.messages.more) Backend.loadOlder()
            Keys.onPressed: (event) => {
                if (currentIndex < 0 || currentItem.model.notice) return
                if (event.key === Qt.Key_R) { view.replyTo = currentItem.model.messageId; view.focusComposer(); event.accepted = true }
                else if (event.key === Qt.Key_F) { forwardDialog.openFor(currentItem.model.messageId); event.accepted = true }
            }
            delegate: MessageBubble {
                onReply: (id) => { view.replyTo = id; view.focusComposer() }
                onForward: (id) => forwardDialog.openFor(id)
            }
        }

        // Replying to: the quoted message, cancellable.
        Rectangle {
            visible: view.replyTo !== ""
            Layout.fillWidth: true
            implicitHeight: replyRow.implicitHeight + 8
            color: "#eef3f7"
            RowLayout {
                id: replyRow
                anchors.fill: parent
                anchors.margins: 4
                Label {
                    Layout.fillWidth: true
                    elide: Text.ElideRight
                    text: qsTr("Replying to %1: %2").arg(Backend.messages.senderOf(view.replyTo)).arg(Backend.messages.textOf(view.replyTo))
                }
                ToolButton { text: "✕"; Accessible.name: qsTr("Cancel reply"); onClicked: view.replyTo = "" }
            }
        }

        ClassificationBanner {
            objectName: "composerBanner"
            Layout.fillWidth: true
            level: Backend.currentLevel
            compact: true
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: composerRow.implicitHeight + 12
            color: Theme.panel
            border.color: Theme.line
            Label {
                objectName: "readOnlyNote"
                visible: !Backend.currentCanPost
                anchors.centerIn: parent
                color: Theme.muted
                text: Backend.currentKind === 3 ? qsTr("Only the channel's publishers can post here.")
                                                : qsTr("You are no longer a member of this conversation.")
            }
            RowLayout {
                id: composerRow
                visible: Backend.currentCanPost
                anchors.fill: parent
                anchors.margins: 6
                ScrollView {
                    Layout.fillWidth: true
                    Layout.maximumHeight: 160
                    TextArea {
                        id: composer
                        objectName: "composer"
                        wrapMode: TextEdit.Wrap
                        placeholderText: Backend.currentLevel > 0
                                         ? qsTr("Message (%1)").arg(Backend.levelLabel(Backend.currentLevel))
                                         : qsTr("Message")
                        Keys.onReturnPressed: (event) => {
                            if (event.modifiers & Qt.ShiftModifier) event.accepted = false
                            else view.send()
                        }
                        Keys.onEnterPressed: view.send()
                    }
                }
                Button {
                    objectName: "sendButton"
                    text: qsTr("Send")
                    highlighted: true
                    enabled: composer.text.trim() !== ""
                    onClicked: view.send()
                }
            }
        }
    }

    ForwardDialog { id: forwardDialog }
    ChangeConversationDialog { id: changeDialog }
    ConfirmDialog {
        id: leaveConfirm
        objectName: "leaveConfirm"
        title: Backend.currentKind === 3 ? qsTr("Unsubscribe from this channel?") : qsTr("Leave this conversation?")
        text: qsTr("You will no longer receive its messages on any of your devices.")
        confirmText: Backend.currentKind === 3 ? qsTr("Unsubscribe") : qsTr("Leave")
        onConfirmed: Backend.currentKind === 3 ? Backend.subscribe(Backend.currentId, false) : Backend.leaveConversation()
    }
}
