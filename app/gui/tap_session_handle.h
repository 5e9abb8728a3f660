// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "session_handle.h"
#include "tap_dialog.h"

#include <QPointer>

namespace podtap {
class TapSession;
namespace kube {
class KubeClient;
}
} // namespace podtap

namespace podtap::gui {

/// @brief Shows a core TapSession in the console: forwards its progress, state, statistics and
/// failures to the SessionHandle the Sessions panel reads, and stop() to the session.
class TapSessionHandle final : public SessionHandle
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TapSessionHandle)

public:
    /// Creates the session (a child of this handle) and starts it.
    TapSessionHandle(kube::KubeClient *client, const TapRequest &request, TapTool tool, const QString &saveFile,
        QObject *parent = nullptr);
    ~TapSessionHandle() override;

    void stop() override;
    QProcess *openViewer(CaptureTool tool, QString *error) override;
    TapSession *session() const;

private:
    QPointer<TapSession> m_session;
};

/// The console's SessionFactory backed by TapSession.
SessionHandle *createTapSession(
    kube::KubeClient *client, const TapRequest &request, TapTool tool, const QString &saveFile);

} // namespace podtap::gui
