// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_options.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

class QProcess;

namespace podtap::gui {

/// @brief What the console shows and controls of one running tap, independent of how the tap runs.
///
/// The tap logic lives in core (a session state machine); an adapter subclass forwards its
/// progress, state, statistics and failures through the report*() calls and overrides stop().
/// The Sessions panel and the main window only ever see this class.
class SessionHandle : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionHandle)

public:
    enum class State {
        Preparing, ///< validating, preflight, creating the receiver and sender
        Running, ///< the agent said ready; packets flow
        Stopping, ///< deleting what the tap created
        Stopped,
        Failed,
    };
    Q_ENUM(State)

    struct Stats
    {
        qint64 packets = 0;
        qint64 bytes = 0;
        qint64 drops = 0;
        bool operator==(const Stats &) const = default;
    };

    /// @brief One pod of a tap of several pods: what its child row in the Sessions panel shows.
    struct Member
    {
        /// How the row is coloured; the words are in stateText.
        enum class Health {
            Pending, ///< waiting for its pod or its agent
            Tapped, ///< mirrored by its node's agent
            Ended, ///< gone or skipped: its interface ended cleanly
            Failed, ///< refused by the agent; the other pods go on
        };

        QString key; ///< `NS/POD`
        QString node;
        QString stateText; ///< "Tapped", "Failed: no such container", …
        Health health = Health::Pending;
        qint64 mirroredPackets = 0; ///< from the agent's stats for this pod
        qint64 mirroredBytes = 0;
        qint64 capturedPackets = 0; ///< arrived on this machine on this pod's interface
        qint64 capturedBytes = 0;
        bool operator==(const Member &) const = default;
    };

    /// @p target is "ns/pod/iface", @p destination as TapRequest's Destination::toString() spells it.
    SessionHandle(QString target, QString destination, QObject *parent = nullptr);
    ~SessionHandle() override;

    const QString &target() const { return m_target; }
    const QString &destination() const { return m_destination; }
    /// The podtap.io/session label of the tap's agent pods; empty until the session has one.
    const QString &sessionId() const { return m_sessionId; }
    State state() const { return m_state; }
    bool isActive() const
    {
        return m_state == State::Preparing || m_state == State::Running || m_state == State::Stopping;
    }
    const Stats &stats() const { return m_stats; }
    /// The current step while preparing or stopping ("Creating the sender pod on worker-1").
    const QString &progressText() const { return m_progress; }
    /// Which path carries the packets, in a word or two ("tunnel", "stream via API server"); empty until known.
    const QString &dataPath() const { return m_dataPath; }
    /// Why that path runs, e.g. the tunnel's failure that made the session stream instead.
    const QString &dataPathReason() const { return m_dataPathReason; }
    const QString &failureSummary() const { return m_failureSummary; }
    /// What to do about the failure: commands or a manifest, meant to be copied.
    const QString &failureFix() const { return m_failureFix; }
    /// The local VXLAN interface a capture tool can open (empty when the tunnel ends elsewhere).
    const QString &captureInterface() const { return m_captureInterface; }
    /// Pod IP → "ns/pod" names for the capture tool, when the session wrote one.
    const QString &hostsFile() const { return m_hostsFile; }
    /// A capture of this session's interface with @p tool, naming pods from hostsFile().
    CaptureOptions captureOptions(CaptureTool tool) const;
    /// The tap ends in this console's userspace receiver: a tool attaches to its stream with openViewer()
    /// (fed through a pipe) instead of opening captureInterface().
    bool attachesViewers() const { return m_attachesViewers; }
    /// Starts @p tool reading this session's stream; null with @p error when it cannot. The base has no stream.
    virtual QProcess *openViewer(CaptureTool tool, QString *error);
    /// The pods of a tap of several pods, in the order they were first seen (ended ones stay); empty for a
    /// tap of one pod.
    const QList<Member> &members() const { return m_members; }
    /// The latest member events, oldest first ("+shop/cart-7f9 tapped on worker-2"), at most kMaxMemberEvents.
    const QStringList &memberEvents() const { return m_memberEvents; }
    static constexpr int kMaxMemberEvents = 50;
    QDateTime startedAt() const { return m_startedAt; }
    /// Seconds from start until now, or until the session ended.
    qint64 elapsedSeconds(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;

    /// Asks the tap to stop; state() moves to Stopping, then Stopped. The base class just stops.
    virtual void stop();

    // Called by the adapter that runs the tap.
    void reportProgress(const QString &text);
    void reportState(State state);
    void reportStats(const Stats &stats);
    void reportFailure(const QString &summary, const QString &fix);
    void reportDataPath(const QString &path, const QString &reason);
    void setCaptureInterface(const QString &interfaceName, const QString &hostsFile = {});
    /// A line of the session's own capture (the tap dialog's "Show tshark output").
    void reportCaptureLine(const QString &line) { Q_EMIT captureLine(line); }
    void setSessionId(const QString &sessionId) { m_sessionId = sessionId; }
    void setAttachesViewers(bool attaches);
    /// Replaces the member list (a pod joined, or a pod's state or counters changed).
    void reportMembers(const QList<Member> &members);
    /// A pod joined, left, failed or was skipped.
    void reportMemberEvent(const QString &text);

Q_SIGNALS:
    /// Anything shown in the session's row changed.
    void changed();
    void stateChanged(podtap::gui::SessionHandle::State state);
    void failed(const QString &summary, const QString &fix);
    void captureLine(const QString &line);
    /// members() changed: a pod joined, or a pod's row changed.
    void membersChanged();
    /// A pod joined, left, failed or was skipped: "+shop/cart-7f9 tapped on worker-2", "-shop/cart-x2 gone".
    void memberEvent(const QString &text);

private:
    QString m_target;
    QString m_destination;
    QString m_sessionId;
    State m_state = State::Preparing;
    Stats m_stats;
    QString m_progress;
    QString m_dataPath;
    QString m_dataPathReason;
    QString m_failureSummary;
    QString m_failureFix;
    QString m_captureInterface;
    QString m_hostsFile;
    bool m_attachesViewers = false;
    QList<Member> m_members;
    QStringList m_memberEvents;
    QDateTime m_startedAt;
    QDateTime m_endedAt;
};

QString sessionStateName(SessionHandle::State state);

} // namespace podtap::gui
