// SPDX-License-Identifier: Apache-2.0
#include "tap_session_handle.h"

#include "tap/tap_session.h"

namespace podtap::gui {

namespace {

SessionHandle::State handleState(TapSession::State state)
{
    switch (state) {
    case TapSession::State::Running:
        return SessionHandle::State::Running;
    case TapSession::State::Stopping:
        return SessionHandle::State::Stopping;
    case TapSession::State::Stopped:
        return SessionHandle::State::Stopped;
    case TapSession::State::Failed:
        return SessionHandle::State::Failed;
    default:
        return SessionHandle::State::Preparing;
    }
}

TapSessionOptions sessionOptions(const TapRequest &request, TapTool tool, const QString &saveFile)
{
    TapSessionOptions options;
    options.capture = captureOptionsFor(tool, saveFile);
    // The userspace receiver writes the file itself: no tshark behind "Save to a file".
    if (tool == TapTool::SaveToFile && request.destination.capturedInProcess())
        options.capture.tool = CaptureTool::None;
    return options;
}

} // namespace

TapSessionHandle::TapSessionHandle(
    kube::KubeClient *client, const TapRequest &request, TapTool tool, const QString &saveFile, QObject *parent)
    : SessionHandle(QStringLiteral("%1/%2/%3").arg(request.targetNamespace, request.pod, request.interfaceName),
          request.destination.toString(), parent)
    , m_session(new TapSession(client, request, sessionOptions(request, tool, saveFile), this))
{
    connect(m_session, &TapSession::progress, this, &SessionHandle::reportProgress);
    connect(m_session, &TapSession::stateChanged, this, [this](TapSession::State state) {
        // Failed is reported with its fix by failed(); the state alone would lose it.
        if (state != TapSession::State::Failed)
            reportState(handleState(state));
    });
    // Drops: frames the agent could not send, plus (userspace receiver) frames this machine lost on arrival.
    // Streamed, the agent's ring drops are already among the capture's drops.
    const auto report = [this] {
        const AgentStats stats = m_session->stats();
        const bool streamed = m_session->dataPath() == TapSession::DataPath::Stream;
        reportStats({stats.packets, stats.bytes, (streamed ? 0 : stats.drops) + m_session->captureDrops()});
    };
    connect(m_session, &TapSession::statsChanged, this, report);
    connect(m_session, &TapSession::capturedPacketsChanged, this, report);
    connect(m_session, &TapSession::ready, this, [this] {
        if (m_session->request().destination.kind == Destination::Kind::LocalInterface)
            setCaptureInterface(m_session->captureInterface(), m_session->hostsFile());
        else if (m_session->hasUserspaceReceiver())
            setAttachesViewers(true);
    });
    connect(m_session, &TapSession::failed, this, &SessionHandle::reportFailure);
    connect(m_session, &TapSession::dataPathChanged, this, [this](const QString &reason) {
        reportDataPath(
            m_session->dataPath() == TapSession::DataPath::Stream ? tr("stream via API server") : tr("tunnel"), reason);
    });
    connect(m_session, &TapSession::packetLine, this, &SessionHandle::reportCaptureLine);
    m_session->start();
    // The leftover sweep must never offer this console's own pods.
    setSessionId(m_session->sessionId());
}

TapSessionHandle::~TapSessionHandle() = default;

TapSession *TapSessionHandle::session() const
{
    return m_session;
}

void TapSessionHandle::stop()
{
    if (m_session)
        m_session->stop();
}

QProcess *TapSessionHandle::openViewer(CaptureTool tool, QString *error)
{
    if (!m_session) {
        return SessionHandle::openViewer(tool, error);
    }
    return m_session->openViewer(tool, {}, error);
}

SessionHandle *createTapSession(
    kube::KubeClient *client, const TapRequest &request, TapTool tool, const QString &saveFile)
{
    if (!client)
        return nullptr;
    return new TapSessionHandle(client, request, tool, saveFile);
}

} // namespace podtap::gui
