import type { WidgetCopy, WidgetLang, WidgetStrings } from './widget-config.js';

/** Intl locale per language: number and currency formats follow the reader's language. */
export const INTL_LOCALE: Record<WidgetLang, string> = { en: 'en', it: 'it-IT', 'sr-Latn': 'sr-Latn-RS', 'sr-Cyrl': 'sr-Cyrl-RS' };

/**
 * Picks one of our languages for a BCP 47 tag, or undefined when we have none for it.
 * Plain "sr" is Cyrillic, as CLDR and the Serbian constitution have it; Latin needs an explicit sr-Latn.
 */
export function resolveLang(tag: string | undefined | null): WidgetLang | undefined {
  if (!tag) return undefined;
  const t = tag.trim().toLowerCase().replace(/_/g, '-');
  if (t === 'sr' || t.startsWith('sr-cyrl') || t === 'sr-rs' || t === 'sr-me' || t === 'sr-ba') return 'sr-Cyrl';
  if (t.startsWith('sr-latn') || t === 'sh') return 'sr-Latn';
  if (t === 'it' || t.startsWith('it-')) return 'it';
  if (t === 'en' || t.startsWith('en-')) return 'en';
  return undefined;
}

export const DEFAULT_COPY: Record<WidgetLang, WidgetCopy> = {
  en: {
    heading: 'A small favour',
    body: 'If you appreciate our work, please support it. Every contribution, big or small, keeps our journalism independent and free for everyone to read.',
  },
  it: {
    heading: 'Un piccolo favore',
    body: 'Se apprezzi il nostro lavoro, sostienilo. Ogni contributo, grande o piccolo, mantiene il nostro giornalismo indipendente e libero per tutti.',
  },
  'sr-Latn': {
    heading: 'Mala usluga',
    body: 'Ako cenite naš rad, podržite ga. Svaki prilog, veliki ili mali, čuva naše novinarstvo nezavisnim i besplatnim za sve čitaoce.',
  },
  'sr-Cyrl': {
    heading: 'Мала услуга',
    body: 'Ако цените наш рад, подржите га. Сваки прилог, велики или мали, чува наше новинарство независним и бесплатним за све читаоце.',
  },
};

export const WIDGET_STRINGS: Record<WidgetLang, WidgetStrings> = {
  en: {
    interval_legend: 'How would you like to give?',
    once: 'Once',
    month: 'Monthly',
    year: 'Yearly',
    amount_legend: 'Amount',
    other_amount: 'Other amount',
    donate: 'Donate',
    loading: 'Opening secure checkout…',
    secure_note: 'Secure payment by Stripe. Memberships can be cancelled at any time.',
    amount_invalid: 'Please enter an amount.',
    amount_too_low: 'The minimum is {min}.',
    amount_too_high: 'The maximum is {max}.',
    not_configured: 'Donations are not available right now. Please try again later.',
    rate_limited: 'Too many attempts. Please wait a minute and try again.',
    network_error: 'We could not reach our server. Please check your connection and try again.',
    generic_error: 'Something went wrong. Please try again.',
    cancelled: 'No problem, maybe another time. Thank you for reading.',
    thanks_heading: 'Thank you for your support',
    thanks_body: 'Readers like you keep {name} independent.',
    collapsed: 'Support {name}',
    expand: 'Show the appeal',
    per_month: '/month',
    per_year: '/year',
    no_script: 'Support {name}',
    goal_month: 'Our goal this month',
    goal_campaign: 'Our goal',
    goal_reached: 'We reached our goal. Thank you! Every gift still helps.',
    goal_progress_amount: '{current} of {target}',
    goal_progress_members: '{current} of {target} new members',
    goal_progress_supporters: '{current} of {target} new supporters',
    upsell_heading: 'Would you make it monthly?',
    upsell_body: '{monthly} a month helps {name} plan ahead, and you can cancel at any time.',
    upsell_yes: 'Yes, {monthly} monthly',
    upsell_no: 'No, give {amount} once',
    fee_cover: 'Add {amount} so all of my gift reaches the newsroom',
    remind_offer: 'Not now? Remind me in a month',
    remind_email: 'Your e-mail address',
    remind_button: 'Remind me',
    remind_invalid: 'Please enter your e-mail address.',
    remind_sent: 'Check your inbox: confirm with the link we sent, and we will remind you once.',
  },
  it: {
    interval_legend: 'Come vuoi contribuire?',
    once: 'Una tantum',
    month: 'Mensile',
    year: 'Annuale',
    amount_legend: 'Importo',
    other_amount: 'Altro importo',
    donate: 'Dona',
    loading: 'Apertura del pagamento sicuro…',
    secure_note: "Pagamento sicuro con Stripe. L'abbonamento si può annullare in qualsiasi momento.",
    amount_invalid: 'Inserisci un importo.',
    amount_too_low: "L'importo minimo è {min}.",
    amount_too_high: "L'importo massimo è {max}.",
    not_configured: 'Le donazioni non sono disponibili al momento. Riprova più tardi.',
    rate_limited: 'Troppi tentativi. Attendi un minuto e riprova.',
    network_error: 'Impossibile raggiungere il server. Controlla la connessione e riprova.',
    generic_error: 'Qualcosa è andato storto. Riprova.',
    cancelled: "Nessun problema, sarà per un'altra volta. Grazie per averci letto.",
    thanks_heading: 'Grazie per il tuo sostegno',
    thanks_body: 'Lettori come te rendono {name} indipendente.',
    collapsed: 'Sostieni {name}',
    expand: "Mostra l'appello",
    per_month: '/mese',
    per_year: '/anno',
    no_script: 'Sostieni {name}',
    goal_month: 'Il nostro obiettivo del mese',
    goal_campaign: 'Il nostro obiettivo',
    goal_reached: 'Abbiamo raggiunto l’obiettivo. Grazie! Ogni contributo aiuta ancora.',
    goal_progress_amount: '{current} su {target}',
    goal_progress_members: '{current} su {target} nuovi abbonati',
    goal_progress_supporters: '{current} su {target} nuovi sostenitori',
    upsell_heading: 'Vuoi farlo ogni mese?',
    upsell_body: '{monthly} al mese aiutano {name} a programmare il lavoro, e puoi annullare quando vuoi.',
    upsell_yes: 'Sì, {monthly} al mese',
    upsell_no: 'No, {amount} una volta',
    fee_cover: 'Aggiungo {amount} perché tutto il mio dono arrivi alla redazione',
    remind_offer: 'Non ora? Ricordamelo tra un mese',
    remind_email: 'Il tuo indirizzo e-mail',
    remind_button: 'Ricordamelo',
    remind_invalid: 'Inserisci il tuo indirizzo e-mail.',
    remind_sent: 'Controlla la posta: conferma con il link che ti abbiamo inviato e te lo ricorderemo una volta.',
  },
  'sr-Latn': {
    interval_legend: 'Kako želite da podržite?',
    once: 'Jednokratno',
    month: 'Mesečno',
    year: 'Godišnje',
    amount_legend: 'Iznos',
    other_amount: 'Drugi iznos',
    donate: 'Doniraj',
    loading: 'Otvaramo bezbedno plaćanje…',
    secure_note: 'Bezbedno plaćanje preko Stripe-a. Članstvo možete otkazati bilo kada.',
    amount_invalid: 'Unesite iznos.',
    amount_too_low: 'Najmanji iznos je {min}.',
    amount_too_high: 'Najveći iznos je {max}.',
    not_configured: 'Donacije trenutno nisu dostupne. Pokušajte ponovo kasnije.',
    rate_limited: 'Previše pokušaja. Sačekajte minut i pokušajte ponovo.',
    network_error: 'Server nije dostupan. Proverite vezu i pokušajte ponovo.',
    generic_error: 'Nešto nije u redu. Pokušajte ponovo.',
    cancelled: 'Nema problema, možda drugi put. Hvala što nas čitate.',
    thanks_heading: 'Hvala na podršci',
    thanks_body: 'Čitaoci poput vas omogućavaju naš nezavisan rad.',
    collapsed: 'Podržite {name}',
    expand: 'Prikaži poziv',
    per_month: '/mesečno',
    per_year: '/godišnje',
    no_script: 'Podržite {name}',
    goal_month: 'Naš cilj ovog meseca',
    goal_campaign: 'Naš cilj',
    goal_reached: 'Dostigli smo cilj. Hvala! Svaki prilog i dalje pomaže.',
    goal_progress_amount: '{current} od {target}',
    goal_progress_members: '{current} od {target} novih članova',
    goal_progress_supporters: '{current} od {target} novih podržavalaca',
    upsell_heading: 'Da li biste davali mesečno?',
    upsell_body: '{monthly} mesečno pomaže da {name} planira unapred, a možete otkazati bilo kada.',
    upsell_yes: 'Da, {monthly} mesečno',
    upsell_no: 'Ne, {amount} jednom',
    fee_cover: 'Dodajem {amount} da bi ceo moj prilog stigao do redakcije',
    remind_offer: 'Ne sada? Podseti me za mesec dana',
    remind_email: 'Vaša e-mail adresa',
    remind_button: 'Podseti me',
    remind_invalid: 'Unesite svoju e-mail adresu.',
    remind_sent: 'Proverite poštu: potvrdite linkom koji smo poslali i podsetićemo vas jednom.',
  },
  'sr-Cyrl': {
    interval_legend: 'Како желите да подржите?',
    once: 'Једнократно',
    month: 'Месечно',
    year: 'Годишње',
    amount_legend: 'Износ',
    other_amount: 'Други износ',
    donate: 'Донирај',
    loading: 'Отварамо безбедно плаћање…',
    secure_note: 'Безбедно плаћање преко Stripe-а. Чланство можете отказати било када.',
    amount_invalid: 'Унесите износ.',
    amount_too_low: 'Најмањи износ је {min}.',
    amount_too_high: 'Највећи износ је {max}.',
    not_configured: 'Донације тренутно нису доступне. Покушајте поново касније.',
    rate_limited: 'Превише покушаја. Сачекајте минут и покушајте поново.',
    network_error: 'Сервер није доступан. Проверите везу и покушајте поново.',
    generic_error: 'Нешто није у реду. Покушајте поново.',
    cancelled: 'Нема проблема, можда други пут. Хвала што нас читате.',
    thanks_heading: 'Хвала на подршци',
    thanks_body: 'Читаоци попут вас омогућавају наш независан рад.',
    collapsed: 'Подржите {name}',
    expand: 'Прикажи позив',
    per_month: '/месечно',
    per_year: '/годишње',
    no_script: 'Подржите {name}',
    goal_month: 'Наш циљ овог месеца',
    goal_campaign: 'Наш циљ',
    goal_reached: 'Достигли смо циљ. Хвала! Сваки прилог и даље помаже.',
    goal_progress_amount: '{current} од {target}',
    goal_progress_members: '{current} од {target} нових чланова',
    goal_progress_supporters: '{current} од {target} нових подржавалаца',
    upsell_heading: 'Да ли бисте давали месечно?',
    upsell_body: '{monthly} месечно помаже да {name} планира унапред, а можете отказати било када.',
    upsell_yes: 'Да, {monthly} месечно',
    upsell_no: 'Не, {amount} једном',
    fee_cover: 'Додајем {amount} да би цео мој прилог стигао до редакције',
    remind_offer: 'Не сада? Подсети ме за месец дана',
    remind_email: 'Ваша е-мејл адреса',
    remind_button: 'Подсети ме',
    remind_invalid: 'Унесите своју е-мејл адресу.',
    remind_sent: 'Проверите пошту: потврдите линком који смо послали и подсетићемо вас једном.',
  },
};

/** Strings of the hosted pages (donate, thank-you). */
export interface PageStrings {
  donate_title: string;
  donate_intro: string;
  other_amount_hint: string;
  /** The donate page's fee-cover checkbox, which cannot know the amount: `{rate}` is "1.5% + €0.25". */
  fee_cover_rate: string;
  thanks_title: string;
  thanks_once: string;
  thanks_member: string;
  thanks_pending: string;
  thanks_unknown: string;
  receipt_note: string;
  back_to_article: string;
  manage_membership: string;
  /** After a one-off gift: the offer to become a member. */
  member_offer_heading: string;
  member_offer_body: string;
  member_offer_link: string;
  portal_unavailable: string;
  /** "Manage without an account": the e-mail form, its answer, and the page a link opens. */
  manage_title: string;
  manage_intro: string;
  manage_email_label: string;
  manage_send: string;
  manage_sent: string;
  manage_open_intro: string;
  manage_link_invalid: string;
  manage_new_link: string;
  /** "Remind me later" when the wait is not a month: `{days}`. */
  remind_offer_days: string;
  /** The pages a reminder's links open: confirmed, unsubscribe (a button: one-click mail programs POST), done, expired. */
  reminder_title: string;
  reminder_confirmed: string;
  reminder_cancel: string;
  reminder_unsubscribe_intro: string;
  reminder_unsubscribe_button: string;
  reminder_unsubscribed: string;
  reminder_link_invalid: string;
  /** Shown to a browser that has not got the pass the paying browser got (a shared or logged thank-you link). */
  portal_other_browser: string;
  too_many_requests: string;
  not_found: string;
}

export const PAGE_STRINGS: Record<WidgetLang, PageStrings> = {
  en: {
    donate_title: 'Support {name}',
    donate_intro: 'Independent journalism depends on readers like you.',
    other_amount_hint: 'or enter another amount',
    fee_cover_rate: 'Cover the card fees (about {rate}) so all of my gift reaches the newsroom',
    thanks_title: 'Thank you!',
    thanks_once: 'Your gift of {amount} to {name} has been received.',
    thanks_member: 'Welcome, member of {name}: {amount}{period}.',
    thanks_pending: 'Your payment of {amount} to {name} is being processed; we will e-mail you when it completes.',
    thanks_unknown: 'Thank you for supporting {name}.',
    receipt_note: 'Stripe will e-mail you a receipt.',
    back_to_article: 'Back to the article',
    manage_membership: 'Manage my membership',
    member_offer_heading: 'Would you become a member?',
    member_offer_body: 'A monthly gift of {monthly} lets {name} plan ahead. You can cancel at any time.',
    member_offer_link: 'Give {monthly} a month',
    portal_unavailable: 'Membership management is not available right now. Please try again later.',
    portal_other_browser:
      'For your security, a membership can be managed from this page only in the browser that paid, for an hour after paying. To manage it now, use the link in your receipt e-mail or write to {name}.',
    too_many_requests: 'Too many requests from your network. Please try again in a few minutes.',
    not_found: 'We could not find that page.',
    manage_title: 'Your membership of {name}',
    manage_intro:
      'Enter the e-mail address you gave when you joined. We will send you a link to change your amount or card, see your invoices, or cancel. No account or password needed.',
    manage_email_label: 'E-mail address',
    manage_send: 'Send me the link',
    manage_sent: 'If {email} belongs to a membership of {name}, a link is on its way. It works once, for 30 minutes.',
    manage_open_intro:
      'Open your membership of {name} at Stripe, our payment provider: change your card or amount, see your invoices, or cancel.',
    manage_link_invalid: 'This link has expired or has already been used.',
    manage_new_link: 'Ask for a new link',
    remind_offer_days: 'Not now? Remind me in {days} days',
    reminder_title: 'Your reminder from {name}',
    reminder_confirmed: 'Thank you: we will remind you once, on {date}.',
    reminder_cancel: 'Changed your mind? Cancel the reminder',
    reminder_unsubscribe_intro: 'Stop reminders from {name} to {email}?',
    reminder_unsubscribe_button: 'Unsubscribe',
    reminder_unsubscribed: 'Done: you will get no more reminders from {name}.',
    reminder_link_invalid: 'This link no longer works: the reminder was never confirmed, or its address has been deleted.',
  },
  it: {
    donate_title: 'Sostieni {name}',
    donate_intro: 'Il giornalismo indipendente vive grazie a lettori come te.',
    other_amount_hint: 'oppure inserisci un altro importo',
    fee_cover_rate: 'Copro le commissioni della carta (circa {rate}) perché tutto il mio dono arrivi alla redazione',
    thanks_title: 'Grazie!',
    thanks_once: 'Abbiamo ricevuto il tuo contributo di {amount} a {name}.',
    thanks_member: 'Benvenuto tra i sostenitori di {name}: {amount}{period}.',
    thanks_pending: 'Il tuo pagamento di {amount} a {name} è in elaborazione; ti scriveremo quando sarà completato.',
    thanks_unknown: 'Grazie per sostenere {name}.',
    receipt_note: 'Stripe ti invierà una ricevuta via e-mail.',
    back_to_article: "Torna all'articolo",
    manage_membership: 'Gestisci il mio abbonamento',
    member_offer_heading: 'Vuoi diventare socio?',
    member_offer_body: 'Un contributo mensile di {monthly} permette a {name} di programmare il lavoro. Puoi annullarlo quando vuoi.',
    member_offer_link: 'Dona {monthly} al mese',
    portal_unavailable: 'La gestione dell’abbonamento non è disponibile al momento. Riprova più tardi.',
    portal_other_browser:
      'Per la tua sicurezza, da questa pagina l’abbonamento si gestisce solo nel browser con cui hai pagato, per un’ora dopo il pagamento. Per gestirlo ora usa il link nell’e-mail della ricevuta o scrivi a {name}.',
    too_many_requests: 'Troppe richieste dalla tua rete. Riprova tra qualche minuto.',
    not_found: 'Pagina non trovata.',
    manage_title: 'Il tuo abbonamento a {name}',
    manage_intro:
      "Inserisci l'indirizzo e-mail che hai usato quando ti sei abbonato. Ti invieremo un link per cambiare importo o carta, vedere le ricevute o annullare. Senza account né password.",
    manage_email_label: 'Indirizzo e-mail',
    manage_send: 'Inviami il link',
    manage_sent: 'Se {email} corrisponde a un abbonamento a {name}, il link è in arrivo. Funziona una volta sola, per 30 minuti.',
    manage_open_intro:
      'Apri il tuo abbonamento a {name} su Stripe, il nostro fornitore di pagamenti: cambia carta o importo, vedi le ricevute o annulla.',
    manage_link_invalid: 'Questo link è scaduto o è già stato usato.',
    manage_new_link: 'Chiedi un nuovo link',
    remind_offer_days: 'Non ora? Ricordamelo tra {days} giorni',
    reminder_title: 'Il tuo promemoria di {name}',
    reminder_confirmed: 'Grazie: te lo ricorderemo una sola volta, il {date}.',
    reminder_cancel: 'Hai cambiato idea? Annulla il promemoria',
    reminder_unsubscribe_intro: 'Non inviare più promemoria di {name} a {email}?',
    reminder_unsubscribe_button: 'Annulla l’iscrizione',
    reminder_unsubscribed: 'Fatto: non riceverai più promemoria da {name}.',
    reminder_link_invalid: 'Questo link non funziona più: il promemoria non è mai stato confermato, o il suo indirizzo è stato cancellato.',
  },
  'sr-Latn': {
    donate_title: 'Podržite {name}',
    donate_intro: 'Nezavisno novinarstvo opstaje zahvaljujući čitaocima poput vas.',
    other_amount_hint: 'ili unesite drugi iznos',
    fee_cover_rate: 'Pokrivam troškove plaćanja karticom (oko {rate}) da bi ceo moj prilog stigao do redakcije',
    thanks_title: 'Hvala!',
    thanks_once: 'Primili smo vaš prilog od {amount} za {name}.',
    thanks_member: 'Dobro došli među članove {name}: {amount}{period}.',
    thanks_pending: 'Vaša uplata od {amount} za {name} se obrađuje; javićemo vam e-poštom kada bude završena.',
    thanks_unknown: 'Hvala što podržavate {name}.',
    receipt_note: 'Stripe će vam poslati potvrdu e-poštom.',
    back_to_article: 'Nazad na članak',
    manage_membership: 'Upravljaj članstvom',
    member_offer_heading: 'Da li biste postali član?',
    member_offer_body: 'Mesečni prilog od {monthly} omogućava da {name} planira unapred. Možete ga otkazati bilo kada.',
    member_offer_link: 'Dajte {monthly} mesečno',
    portal_unavailable: 'Upravljanje članstvom trenutno nije dostupno. Pokušajte ponovo kasnije.',
    portal_other_browser:
      'Radi vaše bezbednosti, članstvom se sa ove stranice može upravljati samo u pregledaču kojim ste platili, sat vremena posle uplate. Da biste sada upravljali članstvom, otvorite vezu iz e-poruke sa potvrdom ili pišite {name}.',
    too_many_requests: 'Previše zahteva sa vaše mreže. Pokušajte ponovo za nekoliko minuta.',
    not_found: 'Stranica nije pronađena.',
    manage_title: 'Vaše članstvo u {name}',
    manage_intro:
      'Unesite e-adresu koju ste dali pri učlanjenju. Poslaćemo vam link da promenite iznos ili karticu, vidite račune ili otkažete. Bez naloga i lozinke.',
    manage_email_label: 'E-adresa',
    manage_send: 'Pošaljite mi link',
    manage_sent: 'Ako {email} pripada članstvu u {name}, link je na putu. Radi jednom, 30 minuta.',
    manage_open_intro:
      'Otvorite svoje članstvo u {name} kod Stripe-a, našeg platnog servisa: promenite karticu ili iznos, pogledajte račune ili otkažite.',
    manage_link_invalid: 'Ovaj link je istekao ili je već iskorišćen.',
    manage_new_link: 'Zatražite novi link',
    remind_offer_days: 'Ne sada? Podseti me za {days} dana',
    reminder_title: 'Vaš podsetnik od {name}',
    reminder_confirmed: 'Hvala: podsetićemo vas jednom, {date}.',
    reminder_cancel: 'Predomislili ste se? Otkažite podsetnik',
    reminder_unsubscribe_intro: 'Da li da {name} više ne šalje podsetnike na {email}?',
    reminder_unsubscribe_button: 'Odjavi me',
    reminder_unsubscribed: 'Gotovo: više nećete dobijati podsetnike od {name}.',
    reminder_link_invalid: 'Ovaj link više ne radi: podsetnik nikad nije potvrđen ili je njegova adresa obrisana.',
  },
  'sr-Cyrl': {
    donate_title: 'Подржите {name}',
    donate_intro: 'Независно новинарство опстаје захваљујући читаоцима попут вас.',
    other_amount_hint: 'или унесите други износ',
    fee_cover_rate: 'Покривам трошкове плаћања картицом (око {rate}) да би цео мој прилог стигао до редакције',
    thanks_title: 'Хвала!',
    thanks_once: 'Примили смо ваш прилог од {amount} за {name}.',
    thanks_member: 'Добро дошли међу чланове {name}: {amount}{period}.',
    thanks_pending: 'Ваша уплата од {amount} за {name} се обрађује; јавићемо вам е-поштом када буде завршена.',
    thanks_unknown: 'Хвала што подржавате {name}.',
    receipt_note: 'Stripe ће вам послати потврду е-поштом.',
    back_to_article: 'Назад на чланак',
    manage_membership: 'Управљај чланством',
    member_offer_heading: 'Да ли бисте постали члан?',
    member_offer_body: 'Месечни прилог од {monthly} омогућава да {name} планира унапред. Можете га отказати било када.',
    member_offer_link: 'Дајте {monthly} месечно',
    portal_unavailable: 'Управљање чланством тренутно није доступно. Покушајте поново касније.',
    portal_other_browser:
      'Ради ваше безбедности, чланством се са ове странице може управљати само у прегледачу којим сте платили, сат времена после уплате. Да бисте сада управљали чланством, отворите везу из е-поруке са потврдом или пишите {name}.',
    too_many_requests: 'Превише захтева са ваше мреже. Покушајте поново за неколико минута.',
    not_found: 'Страница није пронађена.',
    manage_title: 'Ваше чланство у {name}',
    manage_intro:
      'Унесите е-адресу коју сте дали при учлањењу. Послаћемо вам линк да промените износ или картицу, видите рачуне или откажете. Без налога и лозинке.',
    manage_email_label: 'Е-адреса',
    manage_send: 'Пошаљите ми линк',
    manage_sent: 'Ако {email} припада чланству у {name}, линк је на путу. Ради једном, 30 минута.',
    manage_open_intro:
      'Отворите своје чланство у {name} код Stripe-а, нашег платног сервиса: промените картицу или износ, погледајте рачуне или откажите.',
    manage_link_invalid: 'Овај линк је истекао или је већ искоришћен.',
    manage_new_link: 'Затражите нови линк',
    remind_offer_days: 'Не сада? Подсети ме за {days} дана',
    reminder_title: 'Ваш подсетник од {name}',
    reminder_confirmed: 'Хвала: подсетићемо вас једном, {date}.',
    reminder_cancel: 'Предомислили сте се? Откажите подсетник',
    reminder_unsubscribe_intro: 'Да ли да {name} више не шаље подсетнике на {email}?',
    reminder_unsubscribe_button: 'Одјави ме',
    reminder_unsubscribed: 'Готово: више нећете добијати подсетнике од {name}.',
    reminder_link_invalid: 'Овај линк више не ради: подсетник никад није потврђен или је његова адреса обрисана.',
  },
};

/** Fills {placeholders}; unknown ones stay as they are. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}
