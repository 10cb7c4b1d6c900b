// What the e-mails say, in the widget's four languages; a publication overrides any of it per language
// (`email.copy`). `{name}` is the publication, `{amount}` the gift with its interval, `{supporter}` the reader's
// first name (or nothing), `{signature}` who signs.
import type { WidgetLang } from '../widget/widget-config.js';

export interface EmailCopy {
  thank_you_subject: string;
  /** Paragraphs, separated by blank lines. */
  thank_you_body: string;
  thank_you_member_note: string;
  greeting: string;
  greeting_anonymous: string;
  /** Who signs when the publication names nobody. */
  signature: string;
  footer: string;
  /** The thank-you to a new member: the sign-in-free link to manage the membership. */
  thank_you_manage: string;
  manage_subject: string;
  manage_body: string;
  manage_button: string;
  payment_failed_subject: string;
  payment_failed_body: string;
  payment_failed_reminder_subject: string;
  payment_failed_reminder_body: string;
  update_card_button: string;
  /** "Remind me later": the double opt-in and the reminder itself. `{days}` is the wait, `{unsubscribe}` the way out. */
  reminder_confirm_subject: string;
  reminder_confirm_body: string;
  reminder_confirm_button: string;
  reminder_subject: string;
  reminder_body: string;
  reminder_button: string;
  reminder_footer: string;
}

export const EMAIL_COPY: Record<WidgetLang, EmailCopy> = {
  en: {
    thank_you_subject: 'Thank you for supporting {name}',
    thank_you_body:
      'Your {amount} has reached us. Thank you.\n\nReaders like you are what keeps {name} independent and free for everyone to read. We will make it count.',
    thank_you_member_note: 'You are now a member. Stripe will send a receipt for each payment.',
    greeting: 'Dear {supporter},',
    greeting_anonymous: 'Hello,',
    signature: 'The editors of {name}',
    footer: 'You receive this e-mail because you support {name}.',
    thank_you_manage:
      'To change your amount or card, or to cancel, use this link (it works for 7 days; you can ask for a new one at any time at {manage_page}):',
    manage_subject: 'Your link to manage your {name} membership',
    manage_body:
      'You asked for a link to manage your membership of {name}. It works once, for the next 30 minutes. If you did not ask for it, you can ignore this e-mail.',
    manage_button: 'Manage my membership',
    payment_failed_subject: 'Your payment to {name} did not go through',
    payment_failed_body:
      'We tried to take your membership payment of {amount}, but your bank declined it. Nothing is lost: please update your card with the link below (it works for 7 days), and Stripe will try again.',
    payment_failed_reminder_subject: 'Reminder: please update your card for {name}',
    payment_failed_reminder_body:
      'Your membership payment of {amount} is still unpaid. Please update your card with the link below, so your membership carries on.',
    update_card_button: 'Update my card',
    reminder_confirm_subject: 'Please confirm your reminder from {name}',
    reminder_confirm_body:
      'You asked {name} to remind you in {days} days to support our journalism. Please confirm with the button below.\n\nIf you did not ask, ignore this e-mail: without a confirmation your address is deleted within 7 days and you will hear nothing more.',
    reminder_confirm_button: 'Yes, remind me',
    reminder_subject: 'Your reminder to support {name}',
    reminder_body:
      'You asked us to remind you today. If you value what you read in {name}, a gift of any size keeps it independent and free for everyone.',
    reminder_button: 'Support {name}',
    reminder_footer: 'You receive this e-mail because you asked {name} for a reminder. No more reminders: {unsubscribe}',
  },
  it: {
    thank_you_subject: 'Grazie per il tuo sostegno a {name}',
    thank_you_body:
      'Il tuo contributo di {amount} ci è arrivato. Grazie.\n\nSono lettrici e lettori come te a mantenere {name} indipendente e libero per tutti. Lo useremo al meglio.',
    thank_you_member_note: 'Ora fai parte dei nostri sostenitori abbonati. Stripe ti invierà una ricevuta per ogni pagamento.',
    greeting: 'Cara/o {supporter},',
    greeting_anonymous: 'Ciao,',
    signature: 'La redazione di {name}',
    footer: 'Ricevi questa e-mail perché sostieni {name}.',
    thank_you_manage:
      "Per cambiare l'importo o la carta, o per annullare, usa questo link (vale 7 giorni; puoi chiederne uno nuovo quando vuoi su {manage_page}):",
    manage_subject: 'Il tuo link per gestire il sostegno a {name}',
    manage_body:
      'Hai chiesto un link per gestire il tuo abbonamento a {name}. Funziona una volta sola, per i prossimi 30 minuti. Se non lo hai chiesto tu, puoi ignorare questa e-mail.',
    manage_button: 'Gestisci il mio abbonamento',
    payment_failed_subject: 'Il tuo pagamento a {name} non è andato a buon fine',
    payment_failed_body:
      'Abbiamo provato ad addebitare il tuo contributo di {amount}, ma la banca lo ha rifiutato. Non è perso nulla: aggiorna la carta con il link qui sotto (vale 7 giorni) e Stripe riproverà.',
    payment_failed_reminder_subject: 'Promemoria: aggiorna la carta per {name}',
    payment_failed_reminder_body:
      'Il tuo contributo di {amount} risulta ancora non pagato. Aggiorna la carta con il link qui sotto, così il tuo abbonamento continua.',
    update_card_button: 'Aggiorna la mia carta',
    reminder_confirm_subject: 'Conferma il promemoria di {name}',
    reminder_confirm_body:
      'Hai chiesto a {name} di ricordarti tra {days} giorni di sostenere il nostro giornalismo. Confermalo con il pulsante qui sotto.\n\nSe non lo hai chiesto tu, ignora questa e-mail: senza conferma il tuo indirizzo viene cancellato entro 7 giorni e non riceverai altro.',
    reminder_confirm_button: 'Sì, ricordamelo',
    reminder_subject: 'Il tuo promemoria per sostenere {name}',
    reminder_body:
      'Ci hai chiesto di ricordartelo oggi. Se apprezzi quello che leggi su {name}, un contributo di qualsiasi importo lo mantiene indipendente e libero per tutti.',
    reminder_button: 'Sostieni {name}',
    reminder_footer: 'Ricevi questa e-mail perché hai chiesto un promemoria a {name}. Per non riceverne più: {unsubscribe}',
  },
  'sr-Latn': {
    thank_you_subject: 'Hvala što podržavate {name}',
    thank_you_body:
      'Vaš prilog od {amount} je stigao. Hvala vam.\n\nČitaoci poput vas čuvaju {name} nezavisnim i besplatnim za sve. Iskoristićemo ga najbolje što možemo.',
    thank_you_member_note: 'Sada ste član. Stripe će vam poslati potvrdu za svaku uplatu.',
    greeting: 'Poštovani/a {supporter},',
    greeting_anonymous: 'Zdravo,',
    signature: 'Redakcija {name}',
    footer: 'Ovu poruku dobijate jer podržavate {name}.',
    thank_you_manage:
      'Da promenite iznos ili karticu, ili da otkažete, koristite ovaj link (važi 7 dana; novi možete zatražiti bilo kada na {manage_page}):',
    manage_subject: 'Vaš link za upravljanje članstvom u {name}',
    manage_body:
      'Zatražili ste link za upravljanje članstvom u {name}. Radi jednom, narednih 30 minuta. Ako ga niste vi zatražili, slobodno zanemarite ovu poruku.',
    manage_button: 'Upravljaj članstvom',
    payment_failed_subject: 'Vaša uplata za {name} nije prošla',
    payment_failed_body:
      'Pokušali smo da naplatimo članarinu od {amount}, ali ju je banka odbila. Ništa nije izgubljeno: ažurirajte karticu preko linka ispod (važi 7 dana), i Stripe će pokušati ponovo.',
    payment_failed_reminder_subject: 'Podsetnik: ažurirajte karticu za {name}',
    payment_failed_reminder_body:
      'Vaša članarina od {amount} još nije plaćena. Ažurirajte karticu preko linka ispod, da bi se članstvo nastavilo.',
    update_card_button: 'Ažuriraj karticu',
    reminder_confirm_subject: 'Potvrdite podsetnik od {name}',
    reminder_confirm_body:
      'Zatražili ste da vas {name} podseti za {days} dana da podržite naše novinarstvo. Potvrdite dugmetom ispod.\n\nAko niste vi zatražili, zanemarite ovu poruku: bez potvrde vaša adresa se briše u roku od 7 dana i nećete dobiti ništa više.',
    reminder_confirm_button: 'Da, podseti me',
    reminder_subject: 'Vaš podsetnik da podržite {name}',
    reminder_body:
      'Zamolili ste nas da vas danas podsetimo. Ako cenite ono što čitate u {name}, prilog bilo kog iznosa čuva ga nezavisnim i besplatnim za sve.',
    reminder_button: 'Podržite {name}',
    reminder_footer: 'Ovu poruku dobijate jer ste od {name} zatražili podsetnik. Bez novih podsetnika: {unsubscribe}',
  },
  'sr-Cyrl': {
    thank_you_subject: 'Хвала што подржавате {name}',
    thank_you_body:
      'Ваш прилог од {amount} је стигао. Хвала вам.\n\nЧитаоци попут вас чувају {name} независним и бесплатним за све. Искористићемо га најбоље што можемо.',
    thank_you_member_note: 'Сада сте члан. Stripe ће вам послати потврду за сваку уплату.',
    greeting: 'Поштовани/а {supporter},',
    greeting_anonymous: 'Здраво,',
    signature: 'Редакција {name}',
    footer: 'Ову поруку добијате јер подржавате {name}.',
    thank_you_manage:
      'Да промените износ или картицу, или да откажете, користите овај линк (важи 7 дана; нови можете затражити било када на {manage_page}):',
    manage_subject: 'Ваш линк за управљање чланством у {name}',
    manage_body:
      'Затражили сте линк за управљање чланством у {name}. Ради једном, наредних 30 минута. Ако га нисте ви затражили, слободно занемарите ову поруку.',
    manage_button: 'Управљај чланством',
    payment_failed_subject: 'Ваша уплата за {name} није прошла',
    payment_failed_body:
      'Покушали смо да наплатимо чланарину од {amount}, али ју је банка одбила. Ништа није изгубљено: ажурирајте картицу преко линка испод (важи 7 дана), и Stripe ће покушати поново.',
    payment_failed_reminder_subject: 'Подсетник: ажурирајте картицу за {name}',
    payment_failed_reminder_body:
      'Ваша чланарина од {amount} још није плаћена. Ажурирајте картицу преко линка испод, да би се чланство наставило.',
    update_card_button: 'Ажурирај картицу',
    reminder_confirm_subject: 'Потврдите подсетник од {name}',
    reminder_confirm_body:
      'Затражили сте да вас {name} подсети за {days} дана да подржите наше новинарство. Потврдите дугметом испод.\n\nАко нисте ви затражили, занемарите ову поруку: без потврде ваша адреса се брише у року од 7 дана и нећете добити ништа више.',
    reminder_confirm_button: 'Да, подсети ме',
    reminder_subject: 'Ваш подсетник да подржите {name}',
    reminder_body:
      'Замолили сте нас да вас данас подсетимо. Ако цените оно што читате у {name}, прилог било ког износа чува га независним и бесплатним за све.',
    reminder_button: 'Подржите {name}',
    reminder_footer: 'Ову поруку добијате јер сте од {name} затражили подсетник. Без нових подсетника: {unsubscribe}',
  },
};
