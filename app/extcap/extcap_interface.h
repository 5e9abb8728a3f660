// SPDX-License-Identifier: Apache-2.0
// podtap-extcap: what Wireshark's extcap protocol asks of podtap, apart from the capture itself.
#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace podtap::kube {
struct Kubeconfig;
}

namespace podtap::extcap {

/// The one interface podtap offers; also the middle part of Wireshark's preference names
/// (`extcap.podtap.<arg>`).
inline constexpr char kInterfaceName[] = "podtap";

/// @brief Everything Wireshark (or a person) passed on podtap-extcap's command line.
///
/// Wireshark passes no value for a selector the operator left untouched, so every field here that
/// is empty means "podtap's own default", applied by the functions below, never by Wireshark.
struct ExtcapArguments
{
    enum class Mode { Interfaces, Dlts, Config, ValidateFilter, Capture, Help };

    Mode mode = Mode::Help;
    QString wiresharkVersion; ///< --extcap-version
    QString interfaceName; ///< --extcap-interface
    QString reloadOption; ///< --extcap-reload-option: only this argument's values
    QString captureFilter; ///< --extcap-capture-filter
    bool captureFilterGiven = false;
    QString fifo;
    QString kubeconfig;
    QString context; ///< empty: the kubeconfig's current-context
    QString namespaceName; ///< empty: the context's namespace (or the one in `pod` when that is NS/POD)
    QString pod; ///< POD or NS/POD
    QString podInterface; ///< empty: eth0
    QString direction; ///< empty: both
    QString destination; ///< empty: local (this machine's userspace receiver)
    QString maxDuration; ///< empty: 1h
    QString agentNamespace; ///< empty: podtap
    bool debug = false; ///< progress on stderr (Wireshark treats stderr as an error report, so off by default)
};

/// Parses @p arguments (without the program name). nullopt with @p error, one line naming the argument and the fix,
/// for anything that is not the extcap protocol or podtap's own arguments.
std::optional<ExtcapArguments> parseArguments(const QStringList &arguments, QString *error);

/// The --help text.
QString usageText();

/// `extcap {version=…}{help=…}` (no help when @p helpUrl is empty) and the interface line.
QStringList interfaceLines(const QString &podtapVersion, const QString &helpUrl);
/// The one link type: Ethernet, the pod interfaces' frames.
QStringList dltLines();

/// @brief One value of a selector or radio argument.
struct ArgumentValue
{
    QString value;
    QString display;
    bool isDefault = false;
};

/// The values of every selector that needs no cluster (context from @p kubeconfig, direction, destination) for the
/// argument named @p call (without dashes); empty for the others.
QList<ArgumentValue> staticValues(
    const QString &call, const ExtcapArguments &arguments, const kube::Kubeconfig &config);

/// The `arg` lines of --extcap-config, in the dialog's order.
QStringList argumentLines();
/// The number of the argument named @p call (without dashes), -1 when there is none.
int argumentNumber(const QString &call);
/// `value {arg=N}{value=…}{display=…}[{default=true}]`, with braces in the texts made harmless.
QString valueLine(int argument, const ArgumentValue &value);

/// Splits `pod` (POD or NS/POD) and `namespaceName` into the namespace and pod to tap; the pod's own namespace
/// wins. @p contextNamespace is the default. Empty pod when none was chosen.
struct PodChoice
{
    QString namespaceName;
    QString pod;
};
PodChoice podChoice(const ExtcapArguments &arguments, const QString &contextNamespace);

/// Turns a multi-line message into the one line Wireshark shows.
QString oneLine(const QString &text);

} // namespace podtap::extcap
