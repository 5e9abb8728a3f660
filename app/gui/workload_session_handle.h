// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "session_handle.h"
#include "tap_dialog.h"

#include <QPointer>
#include <QTimer>

namespace podtap {
class WorkloadTapSession;
struct WorkloadMember;
namespace kube {
class KubeClient;
}
} // namespace podtap

namespace podtap::gui {

/// @brief Shows a core WorkloadTapSession (several pods, one capture) in the console: forwards its progress,
/// state, totals, failures and pods (a child row each, with their events) to the SessionHandle the Sessions
/// panel reads, and stop() and the viewers to the session.
class WorkloadSessionHandle final : public SessionHandle
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkloadSessionHandle)

public:
    /// Creates the session (a child of this handle) and starts it.
    WorkloadSessionHandle(kube::KubeClient *client, const WorkloadTapRequest &request, TapTool tool,
        const QString &saveFile, QObject *parent = nullptr);
    ~WorkloadSessionHandle() override;

    void stop() override;
    QProcess *openViewer(CaptureTool tool, QString *error) override;
    WorkloadTapSession *session() const;

    /// The child row of @p member: its state in words, and how to colour it.
    static Member memberRow(const WorkloadMember &member);

private:
    void updateMembers();
    void updateStats();
    void showOwnTshark();

    QPointer<WorkloadTapSession> m_session;
    TapTool m_tool;
    QPointer<QProcess> m_ownTshark; ///< "Show tshark output": a viewer whose lines go to the Sessions panel
    /// Pods' rows are refreshed at most this often: with many pods, each agent's stats would otherwise
    /// redraw every child row several times a second.
    QTimer m_membersTimer;
    static constexpr int kMembersIntervalMs = 100;
};

/// The console's factory for taps of several pods, backed by WorkloadTapSession.
SessionHandle *createWorkloadTapSession(
    kube::KubeClient *client, const WorkloadTapRequest &request, TapTool tool, const QString &saveFile);

} // namespace podtap::gui
