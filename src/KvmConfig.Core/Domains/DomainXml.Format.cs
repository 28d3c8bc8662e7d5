using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>Parsing a domain and printing it back the way libvirt prints XML.</summary>
public static partial class DomainXml
{
    /// <summary>
    /// Parses a domain. Whitespace between elements is formatting and is dropped (the printer indents afresh); text
    /// inside an element with no element children, such as a <c>&lt;description&gt;</c>, is kept exactly.
    /// </summary>
    internal static XDocument Load(string domainXml)
    {
        XDocument doc = XDocument.Parse(domainXml, LoadOptions.PreserveWhitespace);
        if (doc.Root is not { } root || root.Name != "domain")
        {
            throw new ArgumentException($"not a libvirt domain: the root element is <{doc.Root?.Name.LocalName}>, not <domain>", nameof(domainXml));
        }

        StripFormatting(root);
        return doc;
    }

    /// <summary>
    /// Drops the whitespace between the children of an element that holds elements only, all the way down; below
    /// mixed content (text beside elements) every character is content and stays.
    /// </summary>
    private static void StripFormatting(XElement element)
    {
        if (!element.HasElements || !IsElementContent(element))
        {
            return;
        }

        element.Nodes().OfType<XText>().ToList().ForEach(t => t.Remove());
        foreach (XElement child in element.Elements())
        {
            StripFormatting(child);
        }
    }

    /// <summary>
    /// Prints like libvirt's <c>virBuffer</c> XML: two-space indentation, attributes in single quotes, empty
    /// elements as <c>&lt;x/&gt;</c>, and <c>&amp; &lt; &gt; ' "</c> escaped in text and attributes alike. Other
    /// applications' metadata libvirt hands to libxml2 (<c>xmlNodeDump</c>), which quotes with <c>"</c> and escapes
    /// less; it is printed that way here too. A document libvirt printed comes back byte for byte wherever the
    /// merge left it alone.
    /// </summary>
    internal static string Format(XDocument doc)
    {
        var text = new StringBuilder();
        if (doc.Declaration is { } declaration)
        {
            text.Append(declaration).Append('\n');
        }

        foreach (XNode node in doc.Nodes())
        {
            if (node is XText)
            {
                continue;
            }

            WriteNode(text, node, 0, Style.Libvirt);
            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>True when every text child is whitespace, so the element holds elements only and can be indented.</summary>
    private static bool IsElementContent(XElement element) =>
        element.Nodes().OfType<XText>().All(t => t is not XCData && string.IsNullOrWhiteSpace(t.Value));

    /// <summary>Who prints an element in libvirt: its own formatter, or libxml2 for foreign metadata.</summary>
    private enum Style
    {
        Libvirt,
        Libxml2,
    }

    private static void WriteNode(StringBuilder text, XNode node, int depth, Style style)
    {
        switch (node)
        {
            case XElement element:
                WriteElement(text, element, depth, style);
                break;
            case XCData cdata:
                text.Append("<![CDATA[").Append(cdata.Value).Append("]]>");
                break;
            case XText plain:
                Escape(text, plain.Value, attribute: false, style);
                break;
            case XComment comment:
                text.Append("<!--").Append(comment.Value).Append("-->");
                break;
            case XProcessingInstruction pi:
                text.Append("<?").Append(pi.Target).Append(' ').Append(pi.Data).Append("?>");
                break;
            case XDocumentType type:
                text.Append(type);
                break;
        }
    }

    /// <summary>
    /// <paramref name="depth"/> is the indentation level, or -1 inside mixed content, where whitespace is content
    /// and nothing may be added.
    /// </summary>
    private static void WriteElement(StringBuilder text, XElement element, int depth, Style style)
    {
        char quote = style == Style.Libvirt ? '\'' : '"';
        text.Append('<').Append(QualifiedName(element, element.Name, isAttribute: false));
        foreach (XAttribute attribute in element.Attributes())
        {
            text.Append(' ').Append(AttributeName(element, attribute)).Append('=').Append(quote);
            Escape(text, attribute.Value, attribute: true, style);
            text.Append(quote);
        }

        // The children of <domain><metadata> belong to other applications; libvirt prints them with libxml2.
        Style inner = style == Style.Libvirt && element.Name == "metadata" && element.Parent?.Parent is null ? Style.Libxml2 : style;

        if (element.IsEmpty || !element.Nodes().Any())
        {
            text.Append("/>");
            return;
        }

        text.Append('>');
        bool indented = depth >= 0 && IsElementContent(element) && element.Nodes().Any(n => n is not XText);
        foreach (XNode child in element.Nodes())
        {
            if (indented)
            {
                if (child is XText)
                {
                    continue;
                }

                text.Append('\n').Append(' ', 2 * (depth + 1));
                WriteNode(text, child, depth + 1, inner);
            }
            else
            {
                WriteNode(text, child, -1, inner);
            }
        }

        if (indented)
        {
            text.Append('\n').Append(' ', 2 * depth);
        }

        text.Append("</").Append(QualifiedName(element, element.Name, isAttribute: false)).Append('>');
    }

    private static string AttributeName(XElement owner, XAttribute attribute)
    {
        if (!attribute.IsNamespaceDeclaration)
        {
            return QualifiedName(owner, attribute.Name, isAttribute: true);
        }

        return attribute.Name.Namespace == XNamespace.None ? "xmlns" : $"xmlns:{attribute.Name.LocalName}";
    }

    /// <summary>
    /// <c>prefix:local</c> with the prefix declared in scope (metadata of other applications lives in their own
    /// namespaces: <c>&lt;libosinfo:os&gt;</c>). Elements in the default namespace, and unqualified attributes, have none.
    /// </summary>
    private static string QualifiedName(XElement scope, XName name, bool isAttribute)
    {
        if (name.Namespace == XNamespace.None)
        {
            return name.LocalName;
        }

        if (name.Namespace == XNamespace.Xml)
        {
            return $"xml:{name.LocalName}";
        }

        string? prefix = scope.GetPrefixOfNamespace(name.Namespace);
        if (string.IsNullOrEmpty(prefix))
        {
            // An attribute in a namespace needs a prefix; libvirt's documents never have one without it.
            return isAttribute ? throw new XmlException($"no prefix in scope for namespace '{name.Namespace}' of attribute '{name.LocalName}'") : name.LocalName;
        }

        return $"{prefix}:{name.LocalName}";
    }

    /// <summary>
    /// libvirt's <c>virBufferEscapeString</c> set (libxml2's for foreign metadata: no <c>'</c>, and <c>"</c> only in
    /// attributes), plus line breaks and tabs inside attributes so that they survive a parse.
    /// </summary>
    private static void Escape(StringBuilder text, string value, bool attribute, Style style)
    {
        bool libvirt = style == Style.Libvirt;
        foreach (char c in value)
        {
            switch (c)
            {
                case '&': text.Append("&amp;"); break;
                case '<': text.Append("&lt;"); break;
                case '>': text.Append("&gt;"); break;
                case '\'' when libvirt: text.Append("&apos;"); break;
                case '"' when libvirt || attribute: text.Append("&quot;"); break;
                case '\n' when attribute: text.Append("&#10;"); break;
                case '\r': text.Append("&#13;"); break;
                case '\t' when attribute: text.Append("&#9;"); break;
                default: text.Append(c); break;
            }
        }
    }
}
