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
    footer: 'You receive this e-mail because you supported {name}. This is a one-off message about your payment.',
  },
  it: {
    thank_you_subject: 'Grazie per il tuo sostegno a {name}',
    thank_you_body:
      'Il tuo contributo di {amount} ci è arrivato. Grazie.\n\nSono lettrici e lettori come te a mantenere {name} indipendente e libero per tutti. Lo useremo al meglio.',
    thank_you_member_note: 'Ora fai parte dei nostri sostenitori abbonati. Stripe ti invierà una ricevuta per ogni pagamento.',
    greeting: 'Cara/o {supporter},',
    greeting_anonymous: 'Ciao,',
    signature: 'La redazione di {name}',
    footer: 'Ricevi questa e-mail perché hai sostenuto {name}. È un messaggio unico sul tuo pagamento.',
  },
  'sr-Latn': {
    thank_you_subject: 'Hvala što podržavate {name}',
    thank_you_body:
      'Vaš prilog od {amount} je stigao. Hvala vam.\n\nČitaoci poput vas čuvaju {name} nezavisnim i besplatnim za sve. Iskoristićemo ga najbolje što možemo.',
    thank_you_member_note: 'Sada ste član. Stripe će vam poslati potvrdu za svaku uplatu.',
    greeting: 'Poštovani/a {supporter},',
    greeting_anonymous: 'Zdravo,',
    signature: 'Redakcija {name}',
    footer: 'Ovu poruku dobijate jer ste podržali {name}. Ovo je jednokratna poruka o vašoj uplati.',
  },
  'sr-Cyrl': {
    thank_you_subject: 'Хвала што подржавате {name}',
    thank_you_body:
      'Ваш прилог од {amount} је стигао. Хвала вам.\n\nЧитаоци попут вас чувају {name} независним и бесплатним за све. Искористићемо га најбоље што можемо.',
    thank_you_member_note: 'Сада сте члан. Stripe ће вам послати потврду за сваку уплату.',
    greeting: 'Поштовани/а {supporter},',
    greeting_anonymous: 'Здраво,',
    signature: 'Редакција {name}',
    footer: 'Ову поруку добијате јер сте подржали {name}. Ово је једнократна порука о вашој уплати.',
  },
};
