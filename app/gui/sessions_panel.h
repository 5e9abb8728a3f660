// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "widgets/sessions_tree_view.h"

#include <QPointer>
#include <QWidget>

class QProcess;
class QSplitter;

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace podtap {
class CaptureProcess;
}

namespace podtap::gui {

class FixView;
class SessionHandle;
class SessionTableModel;

/// @brief Lists the taps of this console and controls them: open a capture tool, stop one or all.
///
/// A tap of several pods has a child row per pod with its state and counts; the pods that come and go
/// ("+shop/cart-7f9 tapped on worker-2") show below the tree for the selected tap. A failed session shows
/// its fix below the tree; "Open tshark" shows tshark's packet lines in an embedded view.
class SessionsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsPanel)

public:
    explicit SessionsPanel(QWidget *parent = nullptr);
    ~SessionsPanel() override;

    SessionTableModel *model() const { return m_model; }
    SessionsTreeView *view() const { return m_view; }
    /// Adds @p session (the model takes ownership) and selects it.
    void addSession(SessionHandle *session);
    /// The selected tap (the parent's, when a pod's child row is selected).
    SessionHandle *selectedSession() const;

public Q_SLOTS:
    void stopSelected();
    void stopAll();
    void openInWireshark();
    void openTshark();
    /// Open tshark for a session whose tap ends in the userspace receiver: a viewer on its stream.
    void openTsharkOnStream(SessionHandle *session);

Q_SIGNALS:
    /// Every session is stopped or failed (after stopAll() or on their own).
    void allStopped();
    /// A pod of @p session joined, left, failed or was skipped.
    void memberEvent(podtap::gui::SessionHandle *session, const QString &text);

private:
    void updateActions();
    void showError(const QString &summary, const QString &fix);
    void showMemberEvents();

    SessionTableModel *m_model = nullptr;
    SessionsTreeView *m_view = nullptr;
    QPushButton *m_wireshark = nullptr;
    QPushButton *m_tshark = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_stopAll = nullptr;
    QPushButton *m_clear = nullptr;
    QLabel *m_empty = nullptr;
    QLabel *m_memberEvents = nullptr; ///< the selected tap's latest pod events
    FixView *m_fixView = nullptr;
    QPlainTextEdit *m_tsharkOutput = nullptr;
    QPointer<CaptureProcess> m_tsharkProcess;
    QPointer<QProcess> m_tsharkViewer; ///< a tshark opened by hand on a userspace session's stream
    QPointer<SessionHandle> m_captureSource; ///< whose own capture lines the output pane shows
};

} // namespace podtap::gui
