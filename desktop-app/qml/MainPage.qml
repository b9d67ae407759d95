// The main screen, LINE-like: a rail of sections on the left (chats, channels, search, clearance
// officer, settings), the section's list, and the open conversation (or the section's page).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    id: page
    objectName: "mainPage"
    property int section: 0   // 0 chats, 1 channels, 2 search, 3 clearance officer, 4 settings
    signal openDevices()      // My devices, from the settings page (the dialog belongs to the window)
    background: Rectangle { color: Theme.background }

    function showSection(s) {
        section = s
        if (s === 0) conversationList.focusList()
        else if (s === 1) { Backend.refreshChannels(); channelsPage.forceActiveFocus() }
        else if (s === 2) searchPage.focusQuery()
    }

    Shortcut { sequences: ["Ctrl+1"]; onActivated: page.showSection(0) }
    Shortcut { sequences: ["Ctrl+2"]; onActivated: page.showSection(1) }
    Shortcut { sequences: ["Ctrl+F", "Ctrl+3"]; onActivated: page.showSection(2) }
    Shortcut { sequences: ["Ctrl+4"]; enabled: Backend.clearanceOfficer; onActivated: page.showSection(3) }
    Shortcut { sequences: ["Ctrl+,", "Ctrl+5"]; onActivated: page.showSection(4) }
    Shortcut { sequences: ["Ctrl+N"]; onActivated: newGroup.openFresh() }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        // The rail.
        Rectangle {
            Layout.fillHeight: true
            Layout.preferredWidth: rail.implicitWidth + 12
            color: "#e8edf1"
            ColumnLayout {
                id: rail
                anchors.top: parent.top
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.topMargin: 8
                spacing: 4
                RailButton {
                    objectName: "chatsTab"; text: qsTr("Chats"); glyph: "✉"; selected: page.section === 0
                    badge: Backend.conversations.totalUnread
                    onClicked: page.showSection(0)
                }
                RailButton { objectName: "channelsTab"; text: qsTr("Channels"); glyph: "⚑"; selected: page.section === 1; onClicked: page.showSection(1) }
                RailButton { objectName: "searchTab"; text: qsTr("Search"); glyph: "🔍"; selected: page.section === 2; onClicked: page.showSection(2) }
                RailButton {
                    objectName: "adminTab"; text: qsTr("Clearance"); glyph: "🛡"; selected: page.section === 3
                    onClicked: page.showSection(3)
                }
                RailButton { objectName: "settingsTab"; text: qsTr("Settings"); glyph: "⚙"; selected: page.section === 4; onClicked: page.showSection(4) }
            }
        }

        // The section's list.
        Rectangle {
            Layout.fillHeight: true
            Layout.preferredWidth: Math.max(280, Math.min(380, page.width * 0.32))
            visible: page.section <= 2
            color: Theme.panel
            border.color: Theme.line
            StackLayout {
                anchors.fill: parent
                currentIndex: Math.min(page.section, 2)
                ConversationList {
                    id: conversationList
                    onNewGroup: newGroup.openFresh()
                }
                ChannelsPage { id: channelsPage }
                SearchPage { id: searchPage }
            }
        }

        // The open conversation, or the officer's and settings pages.
        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: page.section === 3 ? 1 : page.section === 4 ? 2 : 0
            ChatView { id: chatView }
            AdminPage { id: adminPage }
            SettingsPage { id: settingsPage; onOpenDevices: page.openDevices() }
        }
    }

    NewGroupDialog { id: newGroup }
    Connections {
        target: Backend
        function onGroupCreated(id) { page.section = 0; chatView.focusComposer() }
    }
}
