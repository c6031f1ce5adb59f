package console

import (
	"html/template"
)

// pageNames are the pages; each is templates/<name>.html over templates/layout.html.
var pageNames = []string{"overview", "sep", "novotelecom", "kontur", "emis", "bridge", "health", "error"}

// nav is the menu, in order.
var nav = []struct{ Key, Title, Href string }{
	{"overview", "Сводка", Home},
	{"sep", "СЭП", Prefix + "sep"},
	{"novotelecom", "«Мои счета»", Prefix + "novotelecom"},
	{"kontur", "Контур", Prefix + "kontur"},
	{"emis", "EMIS", Prefix + "emis"},
	{"bridge", "Сканеры", Prefix + "bridge"},
	{"health", "Состояние систем", Prefix + "health"},
}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"nav":    func() any { return nav },
		"prefix": func() string { return Prefix },
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html"))
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t := template.Must(layout.Clone())
		out[name] = template.Must(t.ParseFS(files, "templates/"+name+".html"))
	}
	return out
}
