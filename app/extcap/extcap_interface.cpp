// SPDX-License-Identifier: Apache-2.0
#include "extcap_interface.h"

#include "common/defaults.h"
#include "kube/kubeconfig.h"

#include <QCommandLineParser>
#include <QRegularExpression>

namespace podtap::extcap {

namespace {

// One place for the dialog's arguments, so their numbers, the `arg` lines and the reload answers agree.
// `call` is also Wireshark's preference name: -o extcap.podtap.<call>:VALUE.
struct ArgumentSpec
{
    const char *call;
    const char *line; ///< everything after {call=…}
};

constexpr ArgumentSpec kArguments[] = {
    {"context",
        "{display=Context}{type=selector}{reload=true}{tooltip=The kubeconfig context to connect with (default: "
        "current-context)}{group=Cluster}"},
    {"namespace",
        "{display=Namespace}{type=selector}{reload=true}{tooltip=The pod's namespace, listed from the API server "
        "(default: the context's namespace)}{group=Pod}"},
    {"pod",
        "{display=Pod}{type=selector}{reload=true}{required=true}{tooltip=The pod to tap, listed from the API server; "
        "press reload "
        "after choosing the namespace}{group=Pod}"},
    {"interface",
        "{display=Pod interface}{type=string}{default=eth0}{validation=^[A-Za-z0-9_.:@-]{1,15}$}{tooltip=The "
        "interface inside the pod: eth0, or a Multus interface such as net1}{group=Pod}"},
    {"direction", "{display=Direction}{type=radio}{tooltip=Which packets of the pod interface to mirror}{group=Pod}"},
    {"destination",
        "{display=Packets reach Wireshark through}{type=selector}{tooltip=How the mirrored packets travel from the "
        "node to this machine}{group=Path}"},
    {"duration",
        "{display=Maximum duration}{type=string}{default=1h}{validation=^([0-9]+[smhd]?)+$}{tooltip=The agent "
        "removes the mirror by itself after this long, even if Wireshark keeps running (e.g. 30m, 1h, 2h)}"
        "{group=Path}"},
    {"kubeconfig",
        "{display=Kubeconfig file}{type=fileselect}{mustexist=true}{tooltip=Default: $KUBECONFIG, then "
        "~/.kube/config}{group=Cluster}"},
    {"agentnamespace",
        "{display=Agent namespace}{type=string}{default=podtap}{tooltip=Where podtap creates its agent pods}"
        "{group=Cluster}"},
};

// The destinations a capture into Wireshark's fifo can use: the stream has to be podtap's own pcapng on this
// machine. The API stream (the agent's pcapng read through pods/exec) joins this table when the core offers it, and
// capture() in main.cpp then accepts its Destination kind. The kernel VXLAN interface is not offered: its capture
// runs a second tshark into the fifo, which does not work yet (its rig test failed), and it would need root.
struct DestinationSpec
{
    const char *value;
    const char *display;
};
constexpr DestinationSpec kDestinations[] = {
    {"local", "This machine: VXLAN to podtap's userspace receiver (no root needed)"},
    {"api", "Through the API server: a stream over pods/exec (behind NAT or a VPN)"},
};

QString harmless(QString text)
{
    // The extcap parser reads {key=value} sentences; a brace or a line break inside a text would end them.
    text.replace(QLatin1Char('{'), QLatin1Char('(')).replace(QLatin1Char('}'), QLatin1Char(')'));
    return oneLine(text);
}

} // namespace

QString oneLine(const QString &text)
{
    QString line = text;
    line.replace(QRegularExpression(QStringLiteral("\\s*[\\r\\n]+\\s*")), QStringLiteral(" "));
    return line.trimmed();
}

std::optional<ExtcapArguments> parseArguments(const QStringList &arguments, QString *error)
{
    QCommandLineParser parser;
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    const QCommandLineOption interfaces(QStringLiteral("extcap-interfaces"));
    const QCommandLineOption version(QStringLiteral("extcap-version"), {}, QStringLiteral("v"));
    const QCommandLineOption dlts(QStringLiteral("extcap-dlts"));
    const QCommandLineOption config(QStringLiteral("extcap-config"));
    const QCommandLineOption reload(QStringLiteral("extcap-reload-option"), {}, QStringLiteral("arg"));
    const QCommandLineOption interface(QStringLiteral("extcap-interface"), {}, QStringLiteral("name"));
    const QCommandLineOption filter(QStringLiteral("extcap-capture-filter"), {}, QStringLiteral("filter"));
    const QCommandLineOption capture(QStringLiteral("capture"));
    const QCommandLineOption fifo(QStringLiteral("fifo"), {}, QStringLiteral("path"));
    const QCommandLineOption debug(QStringLiteral("debug"));
    const QCommandLineOption help(QStringList {QStringLiteral("h"), QStringLiteral("help")});
    QList<QCommandLineOption> own;
    for (const ArgumentSpec &spec : kArguments) {
        own << QCommandLineOption(QString::fromLatin1(spec.call), {}, QStringLiteral("value"));
    }
    parser.addOptions({interfaces, version, dlts, config, reload, interface, filter, capture, fifo, debug, help});
    parser.addOptions(own);
    if (!parser.parse(QStringList {QStringLiteral("podtap-extcap")} + arguments)) {
        *error = QStringLiteral("%1 Run podtap-extcap --help for its arguments.").arg(oneLine(parser.errorText()));
        return std::nullopt;
    }
    if (!parser.positionalArguments().isEmpty()) {
        *error = QStringLiteral("unexpected argument \"%1\": podtap-extcap takes only options. Run podtap-extcap "
                                "--help for its arguments.")
                     .arg(oneLine(parser.positionalArguments().first()));
        return std::nullopt;
    }
    ExtcapArguments result;
    const int modes = int(parser.isSet(interfaces)) + int(parser.isSet(dlts)) + int(parser.isSet(config)) +
        int(parser.isSet(capture));
    if (modes > 1) {
        *error = QStringLiteral("give only one of --extcap-interfaces, --extcap-dlts, --extcap-config and --capture");
        return std::nullopt;
    }
    if (parser.isSet(help)) {
        result.mode = ExtcapArguments::Mode::Help;
    } else if (parser.isSet(interfaces)) {
        result.mode = ExtcapArguments::Mode::Interfaces;
    } else if (parser.isSet(dlts)) {
        result.mode = ExtcapArguments::Mode::Dlts;
    } else if (parser.isSet(config)) {
        result.mode = ExtcapArguments::Mode::Config;
    } else if (parser.isSet(capture)) {
        result.mode = ExtcapArguments::Mode::Capture;
    } else if (parser.isSet(filter)) {
        result.mode = ExtcapArguments::Mode::ValidateFilter;
    } else {
        *error = QStringLiteral("nothing to do: Wireshark runs podtap-extcap with --extcap-interfaces, "
                                "--extcap-dlts, --extcap-config or --capture. Run podtap-extcap --help for details.");
        return std::nullopt;
    }
    result.wiresharkVersion = parser.value(version);
    result.interfaceName = parser.value(interface);
    result.reloadOption = parser.value(reload);
    result.captureFilterGiven = parser.isSet(filter);
    result.captureFilter = parser.value(filter);
    result.fifo = parser.value(fifo);
    result.debug = parser.isSet(debug);
    result.context = parser.value(QStringLiteral("context"));
    result.namespaceName = parser.value(QStringLiteral("namespace"));
    result.pod = parser.value(QStringLiteral("pod"));
    result.podInterface = parser.value(QStringLiteral("interface"));
    result.direction = parser.value(QStringLiteral("direction"));
    result.destination = parser.value(QStringLiteral("destination"));
    result.maxDuration = parser.value(QStringLiteral("duration"));
    result.kubeconfig = parser.value(QStringLiteral("kubeconfig"));
    result.agentNamespace = parser.value(QStringLiteral("agentnamespace"));

    const bool needsInterface = result.mode == ExtcapArguments::Mode::Dlts ||
        result.mode == ExtcapArguments::Mode::Config || result.mode == ExtcapArguments::Mode::Capture;
    if (needsInterface && result.interfaceName.isEmpty()) {
        *error = QStringLiteral("--extcap-interface is missing: podtap-extcap offers the interface %1")
                     .arg(QLatin1String(kInterfaceName));
        return std::nullopt;
    }
    if (!result.interfaceName.isEmpty() && result.interfaceName != QLatin1String(kInterfaceName)) {
        *error = QStringLiteral("unknown extcap interface \"%1\": podtap-extcap offers only %2")
                     .arg(oneLine(result.interfaceName), QLatin1String(kInterfaceName));
        return std::nullopt;
    }
    if (!result.reloadOption.isEmpty() && argumentNumber(result.reloadOption) < 0) {
        *error = QStringLiteral("--extcap-reload-option \"%1\" is not one of podtap-extcap's arguments")
                     .arg(oneLine(result.reloadOption));
        return std::nullopt;
    }
    if (result.mode == ExtcapArguments::Mode::Capture && result.fifo.isEmpty()) {
        *error = QStringLiteral("--capture needs --fifo PATH: the pipe Wireshark reads the packets from");
        return std::nullopt;
    }
    return result;
}

QString usageText()
{
    QString text = QStringLiteral(
        "podtap-extcap: Kubernetes pods as a Wireshark capture interface (Wireshark's extcap protocol).\n"
        "Install it with 'podtapctl extcap install', then pick \"Kubernetes pod (podtap)\" in Wireshark.\n\n"
        "Protocol: --extcap-interfaces [--extcap-version=V] | --extcap-interface podtap --extcap-dlts |\n"
        "  --extcap-interface podtap --extcap-config [--extcap-reload-option ARG] |\n"
        "  --extcap-interface podtap --extcap-capture-filter FILTER (validate) |\n"
        "  --extcap-interface podtap --capture --fifo PATH [--extcap-capture-filter FILTER]\n"
        "Arguments (Wireshark presets: -o extcap.podtap.ARG:VALUE):\n");
    for (const ArgumentSpec &spec : kArguments) {
        text += QStringLiteral("  --%1 VALUE\n").arg(QLatin1String(spec.call));
    }
    text += QStringLiteral("  --pod accepts POD or NAMESPACE/POD. --debug prints progress on stderr.\n");
    return text;
}

QStringList interfaceLines(const QString &podtapVersion, const QString &helpUrl)
{
    QString extcap = QStringLiteral("extcap {version=%1}").arg(harmless(podtapVersion));
    if (!helpUrl.isEmpty()) {
        extcap += QStringLiteral("{help=%1}").arg(harmless(helpUrl));
    }
    return {extcap,
        QStringLiteral("interface {value=%1}{display=Kubernetes pod (podtap)}").arg(QLatin1String(kInterfaceName))};
}

QStringList dltLines()
{
    return {QStringLiteral("dlt {number=1}{name=EN10MB}{display=Ethernet (pod interfaces, named ns/pod/iface)}")};
}

QStringList argumentLines()
{
    QStringList lines;
    int number = 0;
    for (const ArgumentSpec &spec : kArguments) {
        lines << QStringLiteral("arg {number=%1}{call=--%2}%3")
                     .arg(number++)
                     .arg(QLatin1String(spec.call), QLatin1String(spec.line));
    }
    return lines;
}

int argumentNumber(const QString &call)
{
    const QString bare = call.startsWith(QLatin1String("--")) ? call.mid(2) : call;
    for (int i = 0; i < int(std::size(kArguments)); ++i) {
        if (bare == QLatin1String(kArguments[i].call)) {
            return i;
        }
    }
    return -1;
}

QString valueLine(int argument, const ArgumentValue &value)
{
    QString line = QStringLiteral("value {arg=%1}{value=%2}{display=%3}")
                       .arg(argument)
                       .arg(harmless(value.value), harmless(value.display));
    if (value.isDefault) {
        line += QStringLiteral("{default=true}");
    }
    return line;
}

QList<ArgumentValue> staticValues(const QString &call, const ExtcapArguments &arguments, const kube::Kubeconfig &config)
{
    QList<ArgumentValue> values;
    if (call == QLatin1String("context")) {
        const QString chosen = arguments.context.isEmpty() ? config.currentContext : arguments.context;
        for (const kube::KubeconfigContext &context : config.contexts) {
            QString display = context.name;
            if (context.name == config.currentContext) {
                display += QStringLiteral(" (current-context)");
            }
            if (!context.error.isEmpty()) {
                display += QStringLiteral(" (unusable)");
            }
            values << ArgumentValue {context.name, display, context.name == chosen};
        }
    } else if (call == QLatin1String("direction")) {
        const QString chosen = arguments.direction.isEmpty() ? QStringLiteral("both") : arguments.direction;
        values << ArgumentValue {QStringLiteral("both"), QStringLiteral("Both ways"), chosen == QLatin1String("both")}
               << ArgumentValue {QStringLiteral("ingress"), QStringLiteral("Ingress (into the pod)"),
                      chosen == QLatin1String("ingress")}
               << ArgumentValue {QStringLiteral("egress"), QStringLiteral("Egress (out of the pod)"),
                      chosen == QLatin1String("egress")};
    } else if (call == QLatin1String("destination")) {
        const QString chosen = arguments.destination.isEmpty() ? QStringLiteral("local") : arguments.destination;
        for (const DestinationSpec &destination : kDestinations) {
            values << ArgumentValue {QLatin1String(destination.value), QLatin1String(destination.display),
                chosen == QLatin1String(destination.value)};
        }
    }
    return values;
}

PodChoice podChoice(const ExtcapArguments &arguments, const QString &contextNamespace)
{
    PodChoice choice;
    choice.namespaceName = arguments.namespaceName.isEmpty() ? contextNamespace : arguments.namespaceName;
    const qsizetype slash = arguments.pod.indexOf(QLatin1Char('/'));
    if (slash >= 0) {
        choice.namespaceName = arguments.pod.left(slash);
        choice.pod = arguments.pod.mid(slash + 1);
    } else {
        choice.pod = arguments.pod;
    }
    return choice;
}

} // namespace podtap::extcap
