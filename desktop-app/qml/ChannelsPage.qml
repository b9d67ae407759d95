// Broadcast channels offered to this person: level, publishing agency, subscribers; subscribe or
// unsubscribe. A subscribed channel appears among the chats; only its publishers get a composer.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

ColumnLayout {
    spacing: 0
    RowLayout {
        Layout.fillWidth: true
        Layout.margins: 10
        Label { text: qsTr("Channels"); font.bold: true; font.pointSize: Theme.fontSize * 1.3; Layout.fillWidth: true }
        Button { text: qsTr("Refresh"); onClicked: Backend.refreshChannels() }
    }
    Label {
        visible: channelList.count === 0
        Layout.fillWidth: true
        Layout.margins: 16
        wrapMode: Text.Wrap
        color: Theme.muted
        text: qsTr("No channels are open to you yet.")
    }
    ListView {
        id: channelList
        objectName: "channelList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: Backend.channels
        keyNavigationEnabled: true
        activeFocusOnTab: true
        delegate: ItemDelegate {
            id: ch
            required property var model
            width: ListView.view.width
            onClicked: if (model.subscribed) Backend.openConversation(model.channelId)
            contentItem: ColumnLayout {
                RowLayout {
                    Label { text: "⚑ " + ch.model.title; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true }
                    LevelBadge { level: ch.model.level }
                }
                Label {
                    text: qsTr("%1 · %2 subscribers").arg(ch.model.agency).arg(ch.model.subscribers)
                          + (ch.model.publisher ? " · " + qsTr("you publish") : "")
                    color: Theme.muted
                    font.pointSize: Theme.fontSize * 0.85
                }
                RowLayout {
                    Label {
                        visible: !ch.model.maySubscribe && !ch.model.subscribed
                        text: "⛔ " + qsTr("Not open to your clearance or agency")
                        color: Theme.danger
                        font.pointSize: Theme.fontSize * 0.85
                    }
                    Item { Layout.fillWidth: true }
                    Button {
                        objectName: "subscribe-" + ch.model.title
                        visible: ch.model.maySubscribe || ch.model.subscribed
                        text: ch.model.subscribed ? qsTr("Unsubscribe") : qsTr("Subscribe")
                        onClicked: Backend.subscribe(ch.model.channelId, !ch.model.subscribed)
                    }
                }
            }
        }
    }
}
