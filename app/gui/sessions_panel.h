// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QPointer>
#include <QWidget>

class QProcess;
class QSplitter;

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace podtap {
class CaptureProcess;
}

namespace podtap::gui {

class FixView;
class SessionHandle;
class SessionTableModel;

/// @brief Lists the taps of this console and controls them: open a capture tool, stop one or all.
///
/// A failed session shows its fix below the table; "Open tshark" shows tshark's packet lines in
/// an embedded view.
class SessionsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsPanel)

public:
    explicit SessionsPanel(QWidget *parent = nullptr);
    ~SessionsPanel() override;

    SessionTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    /// Adds @p session (the model takes ownership) and selects it.
    void addSession(SessionHandle *session);
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

private:
    void updateActions();
    void showError(const QString &summary, const QString &fix);

    SessionTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QPushButton *m_wireshark = nullptr;
    QPushButton *m_tshark = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_stopAll = nullptr;
    QPushButton *m_clear = nullptr;
    QLabel *m_empty = nullptr;
    FixView *m_fixView = nullptr;
    QPlainTextEdit *m_tsharkOutput = nullptr;
    QPointer<CaptureProcess> m_tsharkProcess;
    QPointer<QProcess> m_tsharkViewer; ///< a tshark opened by hand on a userspace session's stream
    QPointer<SessionHandle> m_captureSource; ///< whose own capture lines the output pane shows
};

} // namespace podtap::gui
